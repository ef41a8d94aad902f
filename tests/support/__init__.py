"""What the tests share, one module per job: running the scripts (scripts), test media (media), projects of
datasets and of several experts (datasets, research), the tools/ scripts as modules (tools), system programs
(programs), the session's Label Studio server and a stand-in ML backend (labelstudio_server, ml_backend), the
slow-marker rule (tiers, a pytest plugin) and waiting for a condition (waiting). Test modules never import each
other; they import these."""

"""Part 2: what pedpatterns hands to Label Studio and what the experts hand back.

config (the labeling interface), tasks (tasks.json), client (the HTTP API), project
(``setup`` and ``export``), server (starting Label Studio: ``server``, and the tests' server),
connect (the ML backend registered with a project), agreement (how far the experts agree),
options (defaults, light for ``--help``). The experts' answers, read from the export and merged,
are :mod:`pedpatterns.labels`: every stage reads them there.
"""

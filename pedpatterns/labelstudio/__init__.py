"""Part 2: what pedpatterns hands to Label Studio and what the experts hand back.

config (the labeling interface), tasks (tasks.json), client, project and server (the Label Studio
server and its API, for ``python -m pedpatterns.labelstudio setup|export``). The experts' answers,
read from the export and merged, are :mod:`pedpatterns.labels`: every stage reads them there.
"""

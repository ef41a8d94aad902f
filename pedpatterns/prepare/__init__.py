"""Part 1: films cut into parts (cutting) and parts processed into segments (processing).

media (ffmpeg), speech (Whisper) with bundled (the offline models), segments, features,
questions (what counts as a question), questionkinds (open or closed, and the level of thinking a
question asks for) and speakers (who speaks) are what processing is made of;
executor (where parts are processed: a process pool or a Dask cluster), batch (every film in
one run), options (defaults, light for ``--help``).
"""

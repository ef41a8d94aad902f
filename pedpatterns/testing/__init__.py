"""Test scaffolding: projects and dialogues made by construction, for tests, bench/ and tools/.

synthetic — processed parts, labels and lessons written to disk without a film;
dialogues — dialogues whose speakers are known (real voices laid out, TTS, a stereo mix) and their score.
serving — the ML backend over real HTTP from a background thread, stopped from inside its own loop.

No stage may import this room (an import-linter contract in pyproject.toml says so): it sits above the
product, a client of it as tests/ and bench/ are, so the scripts never depend on test scaffolding.
"""

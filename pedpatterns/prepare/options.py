"""Part 1's options and their defaults, in a module that imports nothing heavy.

The command line builds its parsers from these (``--help`` and a bad flag answer at once, with no
numpy, pandas or Whisper loaded); the stage modules that do the work (speech, speakers, cutting,
features, executor, processing) import the same names from here, so every default is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

# Speech recognition (speech.py).
FASTER_WHISPER = "faster-whisper"
OPENAI_WHISPER = "openai-whisper"
ASR_ENGINES = (FASTER_WHISPER, OPENAI_WHISPER)
DEFAULT_MODEL = "small"  # multilingual, good enough for Russian lessons on a laptop CPU
DEFAULT_LANGUAGE = "ru"
# Chosen from bench/bench_asr.py (the bundled base; 10 min of dense real English speech and 10 min of the
# Russian sample lesson; 2 cores): sequential beam 5 took 45 + 37 s at WER 8.5 / 11.7 % (it dropped English
# phrases); BatchedInferencePipeline with 4 windows and beam 5 took 27 + 19 s at 2.2 / 13.2 % in 0.78 GB.
# 8 and 16 windows were barely faster but needed 1.4 and 1.9 GB. --asr-batch-size 0 is the sequential way.
DEFAULT_BATCH_SIZE = 4  # 0 or 1: sequential decoding; >1: BatchedInferencePipeline
DEFAULT_BEAM_SIZE = 5

# Who speaks (speakers.py).
MFCC = "mfcc"
RESEMBLYZER = "resemblyzer"
NONE = "none"
SPEAKER_ENGINES = (RESEMBLYZER, MFCC, NONE)
# Chosen in bench/bench_speakers.py: on turn-taking between real voices Resemblyzer is right on
# 96 % of the speech frames, MFCC statistics on 69 % (they hear two voices where there are five).
DEFAULT_SPEAKER_ENGINE = RESEMBLYZER

# Cutting, segments and their features (cutting.py, processing.py, features.py).
DEFAULT_PART_MINUTES = 10.0
DEFAULT_SEGMENT_SECONDS = 30.0
PAUSE_SECONDS = 1.0  # a silence this long is a pause (schema: pause_count)

# Where the parts run (executor.py).
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@dataclass(frozen=True)
class Options:
    """How parts are processed (the command line's flags)."""

    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    whisper_model: str = DEFAULT_MODEL
    asr_engine: str = FASTER_WHISPER
    language: str = DEFAULT_LANGUAGE
    batch_size: int = DEFAULT_BATCH_SIZE
    beam_size: int = DEFAULT_BEAM_SIZE
    patterns: tuple[str, ...] = ()
    force: bool = False
    keyframe_candidates: int = 3
    cpu_threads: int = 0
    speakers: str = DEFAULT_SPEAKER_ENGINE  # who speaks: resemblyzer, mfcc or none
    show_progress: bool = True


@dataclass(frozen=True)
class ExecutorOptions:
    """Where the parts run: ``jobs`` processes on this machine, or the Dask cluster at ``cluster``."""

    jobs: int = 1
    cluster: str | None = None

    def parallel(self, parts: int) -> bool:
        """Whether an executor is worth starting; one part on one machine runs in this process."""
        return self.cluster is not None or min(self.jobs, parts) > 1

    def describe(self) -> str:
        return f"кластер Dask {self.cluster}" if self.cluster else f"эта машина, процессов: {self.jobs}"

"""Part 4's options and their defaults, in a module that imports nothing heavy.

find_patterns.py, auto_classifier.py and ``python -m pedpatterns.labelstudio queue`` build their parsers
from these without loading numpy, pandas, scikit-learn or TensorFlow; textmodel, imagemodel, autolabel
and queue import the same classes from here, so every default is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pedpatterns.labels.options import DEFAULT_MIN_SHARE
from pedpatterns.labelstudio.options import DEFAULT_BACKEND_HOST, DEFAULT_BACKEND_PORT
from pedpatterns.prepare.options import Options as ProcessOptions

DEFAULT_THRESHOLD = 0.5  # a pattern is found from this confidence on, in every model and its metrics

# Whole groups on one side of the split (models/groupsplit.py): one share and one seed for dataset_foto/'s
# train/test (create_image_dataset.py) and the image model's held-out side (auto_classifier.py).
SPLIT_BY = ("film", "part")  # what the sides are made of: whole films, or whole parts
DEFAULT_TEST_SHARE = 0.2
DEFAULT_SEED = 42

# The image model (imagemodel.py).
DEFAULT_IMAGE_SIZE = 224
DEFAULT_ALPHA = 1.0
ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)  # widths Keras has ImageNet weights for
DEFAULT_EPOCHS = 10
DEFAULT_BATCH_SIZE = 16
DEFAULT_PATIENCE = 3

# The labelling queue (queue.py): whose hints it shows.
MODELS = ("auto", "text", "image")


@dataclass(frozen=True)
class TextOptions:
    """Which labels train the audio/text model and how it decides; find_patterns.py reads its defaults here."""

    labels_path: Path | None = None
    retrain: bool = False
    min_share: float = DEFAULT_MIN_SHARE
    threshold: float = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class TrainOptions:
    """How the image model is trained and used; auto_classifier.py's flags read their defaults here."""

    labels_path: Path | None = None
    min_share: float = DEFAULT_MIN_SHARE
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = DEFAULT_BATCH_SIZE
    image_size: int = DEFAULT_IMAGE_SIZE
    alpha: float = DEFAULT_ALPHA
    weights: str = "imagenet"
    fine_tune: bool = False
    fine_tune_epochs: int = 5
    patience: int = DEFAULT_PATIENCE
    test_share: float = DEFAULT_TEST_SHARE
    threshold: float = DEFAULT_THRESHOLD
    seed: int = DEFAULT_SEED
    threads: int = 0


@dataclass(frozen=True)
class LabelOptions:
    """How a new part is labelled; auto_classifier.py --mode predict reads its defaults here.

    ``process`` is how the part is processed first, when Part 1 has not done it yet.
    """

    batch_size: int = DEFAULT_BATCH_SIZE
    threshold: float = DEFAULT_THRESHOLD
    process: ProcessOptions = field(default_factory=ProcessOptions)


@dataclass(frozen=True)
class QueueOptions:
    """What the next batch holds; ``python -m pedpatterns.labelstudio queue`` reads its defaults here."""

    batch: int = 20
    min_gap_seconds: float = 120.0
    model: str = "auto"
    threshold: float = DEFAULT_THRESHOLD
    labels_path: Path | None = None
    min_share: float = DEFAULT_MIN_SHARE


DEFAULT_RETRAIN_EVERY = 5  # new, changed or deleted annotations that start a background retrain


@dataclass(frozen=True)
class BackendOptions:
    """How ``python -m pedpatterns.labelstudio backend`` serves suggestions and when it learns."""

    host: str = DEFAULT_BACKEND_HOST
    port: int = DEFAULT_BACKEND_PORT
    retrain_every: int = DEFAULT_RETRAIN_EVERY
    threshold: float = DEFAULT_THRESHOLD
    labels_path: Path | None = None
    min_share: float = DEFAULT_MIN_SHARE

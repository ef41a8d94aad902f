"""Part 3's options and their defaults, in a module that imports nothing heavy.

create_image_dataset.py and upload_dataset.py build their parsers from these without loading pandas,
Pillow or scikit-learn; build.py and hub.py import the same names from here, so each default is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

# What train and test are made of (whole films or whole parts), the share and the seed: one split policy
# for the dataset and the image model (models/groupsplit.py), its defaults in models/options.py.
from pedpatterns.models.options import DEFAULT_SEED, DEFAULT_TEST_SHARE
from pedpatterns.models.options import SPLIT_BY as SPLIT_BY

DEFAULT_LICENSE = "cc-by-nc-4.0"  # the dataset card's license (a Hugging Face identifier)


@dataclass(frozen=True)
class BuildOptions:
    """How dataset_foto/ is split; create_image_dataset.py's flags read their defaults here."""

    test_share: float = DEFAULT_TEST_SHARE
    seed: int = DEFAULT_SEED
    split_by: str = SPLIT_BY[0]

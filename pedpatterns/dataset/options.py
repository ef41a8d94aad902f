"""Part 3's options and their defaults, in a module that imports nothing heavy.

create_image_dataset.py and upload_dataset.py build their parsers from these without loading pandas,
Pillow or scikit-learn; build.py and hub.py import the same names from here, so each default is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLIT_BY = ("film", "part")  # what train and test are split by: whole films or whole parts
DEFAULT_LICENSE = "cc-by-nc-4.0"  # the dataset card's license (a Hugging Face identifier)


@dataclass(frozen=True)
class BuildOptions:
    """How dataset_foto/ is split; create_image_dataset.py's flags read their defaults here."""

    test_share: float = 0.2
    seed: int = 42
    split_by: str = "film"

"""Part 3: the image dataset.

build (dataset_foto/ from the experts' labels), hub (the dataset card, filled from
card_template.md, and the single commit to the Hugging Face Hub), options (their defaults,
light for ``--help``).
"""

"""Part 3: the image dataset: built from the experts' labels (build), published on the Hub (hub)."""

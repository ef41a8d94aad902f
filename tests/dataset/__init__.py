"""Tests of pedpatterns.dataset: the image dataset on disk and its upload to the Hub."""

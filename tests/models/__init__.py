"""Tests of pedpatterns.models: the image and text models, the labelling queue and the ML backend."""

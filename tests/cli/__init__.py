"""Tests of pedpatterns.cli: the doctor and the questions the scripts ask."""

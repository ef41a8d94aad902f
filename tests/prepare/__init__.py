"""Tests of pedpatterns.prepare: films cut into parts, speech, speakers, questions and features."""

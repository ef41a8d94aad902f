"""Tests of pedpatterns.report: the lesson report, its timeline, talk shares and linguistics."""

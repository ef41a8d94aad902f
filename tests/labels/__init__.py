"""Tests of pedpatterns.labels: the experts' labels read from Label Studio's exports."""

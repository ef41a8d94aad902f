"""Tests of pedpatterns.labelstudio: the server, the connection, the ML backend protocol, the agreement."""

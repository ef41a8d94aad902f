"""pedpatterns: from recorded lessons to a labelled dataset of pedagogical patterns and models that find them."""

__version__ = "0.1.0"

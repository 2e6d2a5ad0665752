"""digest: a static site generator for a monthly regulatory news digest."""

__version__ = "0.1.0"

"""Digital influence tracker for executives: shared core (configuration, errors, command line)."""

__version__ = "0.1.0"

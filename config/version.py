"""The product's version, written into reports and the classifier's metadata."""

__version__ = "0.1.0"

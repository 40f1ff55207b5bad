"""Veilleur: e-reputation monitoring and review moderation, on the brand's own machine.

This package is the command line, the top floor; `web/` serves HTTP beside it."""

from config.version import __version__

__all__ = ["__version__"]

"""Veilleur: e-reputation monitoring and review moderation, on the brand's own machine."""

__version__ = "0.1.0"

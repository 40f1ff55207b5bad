"""The classifier protocol and its implementations.

Import implementations from their own modules: importing this package stays cheap (no torch, no sklearn).
"""

from moderation.classifier.base import Classifier, Prediction

__all__ = ["Classifier", "Prediction"]

"""Test doubles for the moderation tests: a survey export writer and a classifier that reads the rating.

The classifier is a fake on purpose (these tests are about the workflow, not the model); the transformer and the
baseline have their own tests on real text."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from moderation.classifier.base import Prediction

COLUMNS = [
    "order_ref",
    "submitted_at",
    "experienced_at",
    "rating",
    "consent",
    "text",
    "author",
    "email",
    "product",
    "verified",
    "language",
]


# One brand whose only source is its own survey export (the address is never fetched: tests import files).
SURVEY_BRAND = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "survey"
kind = "survey"
urls = ["http://127.0.0.1:1/export.csv"]
own = true
"""


def survey_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                "submitted_at": "2026-11-20T10:00:00+00:00",
                "experienced_at": "2026-11-18",
                "consent": "oui",
                "language": "fr",
                **row,
            }
        )
    return out.getvalue().encode()


class RatingClassifier:
    """Says what the text's own words say in the simplest way: 'spam' and 'idiot' are flagged, nothing else."""

    name = "rating-fake"
    version = "1"

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [
            Prediction(
                {"negative": 0.2, "neutral": 0.6, "positive": 0.2},
                3.0,
                0.9 if re.search(r"\bidiot\b", text) else 0.01,
                0.9 if "spam" in text else 0.01,
            )
            for text in texts
        ]

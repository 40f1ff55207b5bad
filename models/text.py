"""Text that people type or pages carry, made fit to store and show: C0 control characters other than tab and
newline are removed. PostgreSQL refuses a NUL in text (a survey answer with one was a 500 error there, and stored
on SQLite), and the others break terminals, JSON logs and e-mail headers; none of them is ever meant."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(value: str) -> str:
    return CONTROL.sub("", value)

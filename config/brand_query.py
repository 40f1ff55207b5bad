"""Brand queries: which collected mentions speak of the brand, as a community manager writes it in settings.

    [brands.query]
    any = ["burger king", "burgerking", "whopper"]   # at least one of these (or one `near` pair)
    all = []                                         # every one of these
    none = ["recette", "slack adjuster"]             # none of these
    near = [["burger", "king", 3]]                   # both, with at most 3 words between them

An entry of several words is a phrase (its words in that order, next to each other); a word ending in `*`
matches any word it starts ("factur*": facture, factures, facturation). Case, accents and ligatures are
ignored in both languages ("Démo" = "demo", "Œuf" = "oeuf"); punctuation splits words ("l'Orange" holds
"orange", "#BurgerKing" holds "burgerking").

Kept in config/ because settings are checked at start-up against it; moderation/relevance applies it.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
# NFKD leaves these letters whole: spelt out so "cœur" and "coeur" meet.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})


def fold(text: str) -> str:
    """Lower case, no accents, no ligatures: the form both the query and the mention are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Term:
    """A word or a phrase, folded; a last word ending in `*` is a prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    @classmethod
    def parse(cls, text: str) -> Term:
        """ValueError (the message says what to write instead) for an entry with no word in it."""
        stripped = text.strip().strip('"').strip()
        prefix = stripped.endswith("*")
        found = tuple(words(stripped.rstrip("*")))
        if not found:
            raise ValueError(f'{text!r} holds no word: write a word or a phrase, e.g. "burger king"')
        if "*" in stripped.rstrip("*"):
            raise ValueError(f'{text!r}: `*` may only end the last word (e.g. "factur*")')
        return cls(found, prefix)

    def positions(self, tokens: Sequence[str]) -> list[int]:
        """Where the term starts in `tokens` (folded words)."""
        n = len(self.words)
        found = []
        for start in range(len(tokens) - n + 1):
            head, last = tokens[start : start + n - 1], tokens[start + n - 1]
            if list(head) != list(self.words[:-1]):
                continue
            if last == self.words[-1] or (self.prefix and last.startswith(self.words[-1])):
                found.append(start)
        return found

    def __str__(self) -> str:
        return " ".join(self.words) + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Near:
    first: Term
    second: Term
    within: int  # words between them, at most (0: side by side), in either order

    def matches(self, tokens: Sequence[str]) -> bool:
        # For each place of the first term, only the nearest second term on either side can be within reach: the
        # gap grows with the distance. Every pair was tried before: "burger " x 7,000 then "king " x 7,000 (one
        # long hostile post) cost 9 s of CPU; this is linear in the words.
        seconds = self.second.positions(tokens)
        for a in self.first.positions(tokens):
            after = bisect.bisect_right(seconds, a)  # seconds[after] is the first place after a
            nearest = seconds[max(after - 1, 0) : after + 1]
            if any(self._gap(a, b) <= self.within for b in nearest):
                return True
        return False

    def _gap(self, a: int, b: int) -> int:
        return b - a - len(self.first.words) if b > a else a - b - len(self.second.words)

    def __str__(self) -> str:
        return f"{self.first} near {self.second} ({self.within})"


@dataclass(frozen=True)
class BrandQuery:
    any: tuple[Term, ...] = ()
    all: tuple[Term, ...] = ()
    none: tuple[Term, ...] = ()
    near: tuple[Near, ...] = ()

    def explain(self, text: str) -> str | None:
        """None when `text` passes; else why it does not (shown to moderators with the off-topic flag)."""
        tokens = words(text)
        if self.any or self.near:
            if not any(term.positions(tokens) for term in self.any) and not any(n.matches(tokens) for n in self.near):
                wanted = [str(t) for t in self.any] + [str(n) for n in self.near]
                return f"query: none of {', '.join(wanted)}"
        missing = [str(term) for term in self.all if not term.positions(tokens)]
        if missing:
            return f"query: lacks {', '.join(missing)}"
        excluded = [str(term) for term in self.none if term.positions(tokens)]
        if excluded:
            return f"query: excluded by {', '.join(excluded)}"
        return None

    def matches(self, text: str) -> bool:
        return self.explain(text) is None


def parse_near(entry: Sequence[object]) -> Near:
    """["burger", "king", 3] -> Near. ValueError saying what is expected."""
    if (
        len(entry) != 3
        or not isinstance(entry[0], str)
        or not isinstance(entry[1], str)
        or isinstance(entry[2], bool)
        or not isinstance(entry[2], int)
    ):
        raise ValueError(f'expected ["word or phrase", "word or phrase", N] (got {list(entry)!r})')
    if not 1 <= entry[2] <= 50:
        raise ValueError(f"N (words apart) must be 1 to 50 (got {entry[2]})")
    return Near(Term.parse(entry[0]), Term.parse(entry[1]), entry[2])

"""Weak signals: something small that changed this period, from relevant mentions only (off-topic posts never
reach the period's rows, models/relevance.py), each with why it is a signal and its evidence.

- new term: a word or pair of words in at least `min_mentions` mentions this period and in none of the previous
  period's (judged only when the previous period has enough mentions to say "none");
- rising share: a topic's share of the tagged mentions rose by `rise` or more;
- rising negative share: the share of a topic's mentions whose sentences about it are negative rose by `rise`.
Evidence: the counts before and now, and two quotes (the sentence with the term, or the topic's sentences).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Classification, Mention, MentionTopic, Source
from reports.collect import latest_classification, when_column
from reports.figures import Quote, TopicFigures, WeakSignal
from reports.topic_figures import FIVE_STARS, _quote_text, _quotes, _tagged, quotable, quote_query, shown
from reports.topics import sentences

Span = tuple[Sequence[int], datetime, datetime, datetime]
SHOWN = 8
TERMS_SHOWN = 3
# Below this many mentions (or tags) in the previous period, "new" and "rising" mean nothing: the first week of
# monitoring would make every word new.
MIN_PREVIOUS = 20
# Texts read per period for new terms, the newest first: a week of a large brand stays a few seconds of Python.
TERM_TEXTS = 20_000
TEXTS_PER_QUERY = 900  # ids in one IN (...): under SQLite's oldest limit of 999 variables
_WORD = re.compile(r"[^\W\d_]{3,}")
STOPWORDS = frozenset(
    """
    the and for are but not you your with this that have had has was were they them their there then than what
    when where which who why how all any can could would should will just very too also only our out off over
    from into onto about after again before being been both each few more most other some such own same so
    its it's did does doing done get got here his her him she he we us one two my me i'm don't didn't isn't
    wasn't really even still much many well good great nice bad like back time thing things made make way
    les des une est pas que qui pour dans sur avec par plus mais tout tous toute toutes ont été être avoir
    fait faire nous vous ils elles leur leurs mon mes ton tes son ses notre nos votre vos cette ces cet
    aux très trop bien sans sous chez comme encore alors aussi même donc car quand après avant déjà jamais
    rien peu était étaient avait avaient sont suis êtes sommes ici fois elle lui moi toi bon bonne
    """.split()
)


def terms(text: str) -> set[str]:
    """The words (4 letters or more) and adjacent pairs of words of a text, lower-cased, stop words left out."""
    found: set[str] = set()
    for sentence in sentences(text):
        words = _WORD.findall(sentence.lower())
        for i, word in enumerate(words):
            if word in STOPWORDS:
                continue
            if len(word) >= 4:
                found.add(word)
            if i + 1 < len(words) and words[i + 1] not in STOPWORDS:
                found.add(f"{word} {words[i + 1]}")
    return found


def new_terms(now: Iterable[set[str]], before: Iterable[set[str]], min_mentions: int) -> list[tuple[str, int]]:
    """Terms in `min_mentions` or more of the current texts and none of the previous ones, most frequent first;
    a word whose pair is as frequent gives way to the pair ("cinnamon rolls", not "cinnamon" and "rolls")."""
    seen_before = set().union(*before)
    counts = Counter(term for found in now for term in found if term not in seen_before)
    candidates = sorted(
        ((term, n) for term, n in counts.items() if n >= min_mentions), key=lambda c: (-c[1], -len(c[0]), c[0])
    )
    kept: list[tuple[str, int]] = []
    for term, n in candidates:
        covered = any(term in other.split() and n <= other_n for other, other_n in kept if " " in other)
        if not covered and not any(" " in term and set(term.split()) <= set(k.split()) for k, _ in kept):
            kept.append((term, n))
    return kept


def weak_signals(
    session: Session,
    figures: Sequence[TopicFigures],
    version: str,
    rows: Any,
    min_mentions: int,
    rise: float,
    span: Span,
) -> list[WeakSignal]:
    """`span`: the sources and the bounds of both periods (previous start, start, end) `rows` holds."""
    found = _term_signals(session, rows, min_mentions, span)
    found += _topic_signals(session, figures, version, rows, min_mentions, rise)
    return found[:SHOWN]


def _topic_signals(
    session: Session, figures: Sequence[TopicFigures], version: str, rows: Any, min_mentions: int, rise: float
) -> list[WeakSignal]:
    now_total = sum(t.volume for t in figures)
    before_total = sum(t.previous_volume for t in figures)
    if before_total < MIN_PREVIOUS:
        return []
    found: list[tuple[float, WeakSignal, str, str | None]] = []
    for t in figures:
        share_rise = t.volume / max(now_total, 1) - t.previous_volume / before_total
        if t.volume >= min_mentions and share_rise >= rise:
            signal = WeakSignal("rising_share", t.label, t.volume, now_total, t.previous_volume, before_total)
            found.append((share_rise, signal, t.name, None))
        negative_now, negative_before = t.current["negative"], t.previous["negative"]
        if negative_now >= min_mentions and t.previous_volume:
            negative_rise = negative_now / t.volume - negative_before / t.previous_volume
            if negative_rise >= rise:
                signal = WeakSignal(
                    "rising_negative", t.label, negative_now, t.volume, negative_before, t.previous_volume
                )
                found.append((negative_rise, signal, t.name, "negative"))
    found.sort(key=lambda f: (-f[0], f[1].subject))
    for _, signal, topic, sentiment in found:
        signal.quotes = _topic_quotes(session, version, rows, topic, sentiment)
    return [signal for _, signal, _, _ in found]


def _topic_quotes(session: Session, version: str, rows: Any, topic: str, sentiment: str | None) -> list[Quote]:
    wanted = [MentionTopic.topic == topic, quotable(rows)]
    if sentiment == "negative":
        wanted += [MentionTopic.sentiment == "negative", or_(rows.c.rating.is_(None), rows.c.rating < FIVE_STARS)]
    ids = session.scalars(
        _tagged(rows, version)
        .add_columns(rows.c.mention_id)
        .where(*wanted)
        .order_by(MentionTopic.score.desc(), rows.c.mention_id)
        .limit(2)
    ).all()
    if not ids:
        return []
    quotes = _quotes(session, quote_query(version, ids).where(MentionTopic.topic == topic))
    return sorted(quotes, key=lambda q: ids.index(q.mention_id))


def _texts(session: Session, rows: Any, current: bool, span: Span) -> list[tuple[int, str]]:
    """The period's newest texts: per source, newest first (by ix_mention_source_when), merged, then the texts of
    those kept read by id (joined to `rows` instead, PostgreSQL read the whole mention table to find them)."""
    source_ids, previous_start, start, end = span
    # The bounds alone pick the period (`rows` holds both): a test of its bucket besides would only hide from
    # PostgreSQL how many rows the bounds hold (it then read every one and sorted them, not the newest by index).
    low, high = (start, end) if current else (previous_start, start)
    newest: list[tuple[datetime, int]] = []
    for source_id in source_ids:
        query = (
            select(rows.c.when, rows.c.mention_id)
            .where(rows.c.source_id == source_id, rows.c.when >= low, rows.c.when < high, shown(rows))
            .order_by(rows.c.when.desc(), rows.c.mention_id)
            .limit(TERM_TEXTS)
        )
        newest += [(when, i) for when, i in session.execute(query)]
    newest.sort(key=lambda row: (-row[0].timestamp(), row[1]))
    ids = [i for _, i in newest[:TERM_TEXTS]]
    texts: dict[int, str] = {}
    for chunk in range(0, len(ids), TEXTS_PER_QUERY):
        query = select(Mention.id, Mention.title, Mention.text).where(
            Mention.id.in_(ids[chunk : chunk + TEXTS_PER_QUERY])
        )
        texts.update((i, f"{title}. {text}" if title else text or "") for i, title, text in session.execute(query))
    return [(i, texts[i]) for i in ids]


def _term_signals(session: Session, rows: Any, min_mentions: int, span: Span) -> list[WeakSignal]:
    before = _texts(session, rows, False, span)
    if len(before) < MIN_PREVIOUS:
        return []
    now = _texts(session, rows, True, span)
    now_terms = [terms(text) for _, text in now]
    signals = []
    for term, n in new_terms(now_terms, (terms(text) for _, text in before), min_mentions)[:TERMS_SHOWN]:
        examples = [(i, text) for (i, text), found in zip(now, now_terms, strict=True) if term in found][:2]
        signal = WeakSignal("new_term", term, n, len(now), 0, len(before))
        signal.quotes = _term_quotes(session, term, examples)
        signals.append(signal)
    return signals


def _term_quotes(session: Session, term: str, examples: list[tuple[int, str]]) -> list[Quote]:
    """The sentence of each example that holds the term."""
    said = {i: next((s for s in sentences(text) if term in terms(s)), text) for i, text in examples}
    query = (
        select(
            Mention.id,
            Mention.url,
            Mention.rating_normalised,
            when_column().label("when"),
            Source.name,
            Classification.sentiment,
        )  # fmt: skip
        .join(Source, Source.id == Mention.source_id)
        .outerjoin(Classification, Classification.id == latest_classification())
        .where(Mention.id.in_(list(said)))
        .order_by(Mention.id)
    )
    quotes = [
        Quote(i, _quote_text(said[i]), source, when, url, None if rating is None else 1 + 4 * rating, sentiment)
        for i, url, rating, when, source, sentiment in session.execute(query)
    ]
    order = list(said)  # the newest first, as read
    return sorted(quotes, key=lambda q: order.index(q.mention_id))

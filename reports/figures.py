"""What a report holds: plain dataclasses, filled by reports/collect.py and friends, read by the renderers.

Ratings are on a 1-5 scale whatever the source's own (1 + 4 x rating_normalised). The NPS-like score counts
rounded stars: promoters 5, detractors 1 to 3, as (promoters - detractors) / rated x 100.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from config.brands import product_label
from models.crisis_cells import CellSummary

SENTIMENTS = ("negative", "neutral", "positive")


def stars(rating_normalised: float) -> int:
    """Rounded stars (half up) of a 0-1 rating: 0.875 (4.5/5) counts as 5."""
    return min(5, max(1, int(1 + 4 * rating_normalised + 0.5)))


@dataclass
class Tally:
    """One group's counts over one period."""

    mentions: int = 0
    reviews: int = 0
    rated: int = 0
    rating_sum: float = 0.0
    stars: list[int] = field(default_factory=lambda: [0] * 5)  # count of 1, 2, 3, 4, 5 stars
    sentiment: Counter[str] = field(default_factory=Counter)
    answered: int = 0  # reviews with the brand's reply
    reply_hours: list[float] = field(default_factory=list)
    with_deadline: int = 0  # reviews with a reply deadline (SLA)
    answered_late: int = 0  # answered after the deadline (reports/deadlines.py)
    past_deadline: int = 0  # still waiting for a reply at the report's date, deadline passed (reports/deadlines.py)
    rejected: int = 0  # rejected reviews: out of the ratings, counted here

    def add(self, other: Tally) -> None:
        self.mentions += other.mentions
        self.reviews += other.reviews
        self.rated += other.rated
        self.rating_sum += other.rating_sum
        self.stars = [a + b for a, b in zip(self.stars, other.stars, strict=True)]
        self.sentiment.update(other.sentiment)
        self.answered += other.answered
        self.reply_hours.extend(other.reply_hours)
        self.with_deadline += other.with_deadline
        self.answered_late += other.answered_late
        self.past_deadline += other.past_deadline
        self.rejected += other.rejected

    @property
    def sla_breaches(self) -> int:
        """Deadlines missed: answered late, or still past the deadline."""
        return self.answered_late + self.past_deadline

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def nps(self) -> float | None:
        """Between -100 and +100: promoters and detractors are both among the rated reviews."""
        rated = sum(self.stars)
        if not rated:
            return None
        promoters, detractors = self.stars[4], sum(self.stars[:3])
        return 100 * (promoters - detractors) / rated

    @property
    def classified(self) -> int:
        return sum(self.sentiment.values())

    def share(self, label: str) -> float | None:
        total = sum(self.sentiment.values())
        return self.sentiment[label] / total if total else None

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.reviews if self.reviews else None

    @property
    def median_reply_hours(self) -> float | None:
        return median(self.reply_hours) if self.reply_hours else None


TOO_FEW = "too few to compare"


@dataclass(frozen=True)
class Change:
    """A change between two periods' figures, or why there is none to show."""

    value: float | None
    why_not: str = ""  # TOO_FEW, or "nothing to compare with" when a side has no figure


def change(now: float | None, before: float | None, now_n: int, before_n: int, min_sample: int) -> Change:
    """`now - before`, only when both rest on `min_sample` items or more: 18 reviews against 1 is no change."""
    if now is None or before is None:
        return Change(None, "nothing to compare with")
    if now_n < min_sample or before_n < min_sample:
        return Change(None, TOO_FEW)
    return Change(now - before)


def hours_text(hours: float | None) -> str:
    """A duration as people say it: "40 min", "5 h", "2.3 d" (a median of 21649.8 h is 902 days)."""
    if hours is None:
        return "–"
    if hours < 1:
        return f"{max(0, round(hours * 60))} min"
    if hours < 10:
        return f"{hours:.1f} h"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.1f} d"


@dataclass
class Group:
    """A brand, a source, a product or a location: its current and previous period."""

    name: str
    kind: str = ""
    healthy: bool = True
    health_reason: str | None = None
    current: Tally = field(default_factory=Tally)
    previous: Tally = field(default_factory=Tally)


@dataclass
class Trend:
    """The current period in buckets (days, or weeks over long periods)."""

    bucket_days: int
    starts: list[datetime]
    mentions: list[int]
    negative: list[int]
    rating_sum: list[float]
    rated: list[int]

    def average_rating(self, index: int) -> float | None:
        return self.rating_sum[index] / self.rated[index] if self.rated[index] else None


@dataclass
class Moderation:
    statuses: Counter[str] = field(default_factory=Counter)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    pending_history: int = 0  # of the pending, collected as history (mention.backlog): shown with the backlog

    PUBLISHED = ("published", "replied")
    PENDING = ("new", "classified", "to_publish", "to_reply")

    @property
    def published(self) -> int:
        return sum(self.statuses[s] for s in self.PUBLISHED)

    @property
    def pending(self) -> int:
        """The period's own mentions still waiting (history collected in the period is the backlog's)."""
        return sum(self.statuses[s] for s in self.PENDING) - self.pending_history

    @property
    def rejected(self) -> int:
        return self.statuses["rejected"]


@dataclass
class Backlog:
    """Older work still open at the report's date, shown apart from the period's figures: mentions dated before
    the period, and history (a first crawl, reviews already old when collected: moderation/backlog.py)."""

    to_moderate: int = 0  # new or classified
    to_publish: int = 0
    to_reply: int = 0
    history: int = 0  # of the items, collected as history
    past_deadline: int = 0  # of the items, past their reply deadline (reports/deadlines.py)
    total: int = 0  # items (one may wait for publication and a reply at once)


@dataclass
class Quote:
    mention_id: int
    text: str
    source: str
    when: datetime
    url: str | None = None
    rating: float | None = None  # 1-5
    sentiment: str | None = None
    topic: str | None = None
    score: float | None = None


@dataclass
class TopicFigures:
    name: str
    label: str
    current: Counter[str] = field(default_factory=Counter)  # sentiment -> mentions
    previous: Counter[str] = field(default_factory=Counter)
    praise_examples: list[Quote] = field(default_factory=list)
    irritant_examples: list[Quote] = field(default_factory=list)

    @property
    def volume(self) -> int:
        return sum(self.current.values())

    @property
    def previous_volume(self) -> int:
        return sum(self.previous.values())


# Why a weak signal is one: its kind and how a report says it.
SIGNAL_KINDS = {
    "new_term": "new term: in {now} mentions this period, none in the previous one",
    "rising_share": "rising share: {now} of {now_total} tagged mentions ({now_share}), up from {before} of "
    "{before_total} ({before_share})",
    "rising_negative": "rising negative share: {now} of {now_total} mentions negative ({now_share}), up from "
    "{before} of {before_total} ({before_share})",
}


@dataclass
class WeakSignal:
    """Something small that changed, from relevant mentions only, with why it is a signal and its evidence."""

    kind: str  # a key of SIGNAL_KINDS
    subject: str  # the term, or the topic's label
    now: int  # mentions this period (for rising_negative: negative ones)
    now_total: int  # what `now` is a share of (tagged mentions, or the topic's mentions)
    before: int
    before_total: int
    quotes: list[Quote] = field(default_factory=list)  # up to two examples

    @property
    def why(self) -> str:
        def share(n: int, total: int) -> str:
            return f"{100 * n / total:.0f}%" if total else "-"

        return SIGNAL_KINDS[self.kind].format(
            now=self.now,
            now_total=self.now_total,
            before=self.before,
            before_total=self.before_total,
            now_share=share(self.now, self.now_total),
            before_share=share(self.before, self.before_total),
        )


@dataclass
class ProductRating:
    product: str
    reviews: int  # how many of its last N reviews were counted
    average_rating: float
    last_review_at: datetime


@dataclass
class LateReply:
    mention_id: int
    source: str
    assignee: str | None
    due_at: datetime
    text: str
    url: str | None
    when: datetime | None = None  # the review's date: before the period's start, it belongs to the backlog


@dataclass
class Crisis:
    at: datetime
    source: str
    text: str


@dataclass
class Monthly:
    """The last 12 months to the period's end: a tally per month, for the brand and per source."""

    months: list[datetime]
    total: list[Tally]
    by_source: dict[str, list[Tally]]


@dataclass
class Competitor:
    """A competitor's figures over the same period, from its public sources (never moderated nor alerted)."""

    name: str
    sources: list[str]
    current: Tally
    previous: Tally
    topics: Counter[str] = field(default_factory=Counter)  # topic label -> mentions this period
    negative_topics: Counter[str] = field(default_factory=Counter)


@dataclass
class Report:
    brand: str
    slug: str
    start: datetime
    end: datetime  # excluded
    previous_start: datetime
    as_of: datetime  # deadlines are judged at this time: the period's end, or now while it runs
    total: Group
    sources: list[Group]
    products: list[Group]
    locations: list[Group]
    trend: Trend
    moderation: Moderation
    models: list[str]
    crises: list[Crisis] = field(default_factory=list)
    crisis_cells: list[CellSummary] = field(default_factory=list)  # post-crisis summaries (reports/crisis_cells.py)
    topics: list[TopicFigures] = field(default_factory=list)
    topic_version: str | None = None
    untagged: int = 0  # mentions of the period the topic tagger has not seen yet
    topic_lists: str | None = None  # the topic lists and versions that tagged them ("restaurant.v1+custom")
    topic_model: str | None = None  # the tagger's method and model, and the sentence-sentiment model
    weak_signals: list[WeakSignal] = field(default_factory=list)
    low_products: list[ProductRating] = field(default_factory=list)
    late_replies: list[LateReply] = field(default_factory=list)
    late_by_assignee: Counter[str] = field(default_factory=Counter)
    unit: str = "span"  # "week", "month" or "span" (reports/periods.py)
    min_sample: int = 30  # a change on fewer items is not shown ([reports] min_sample)
    year_earlier: Tally | None = None  # the same period a year earlier, when the database holds data of it
    year_start: datetime | None = None
    backlog: Backlog = field(default_factory=Backlog)
    monthly: Monthly | None = None
    actions: list[Any] = field(default_factory=list)  # reports/actions.py Action
    competitors: list[Competitor] = field(default_factory=list)
    off_topic: int = 0  # mentions of the period not about the brand: counted here, in no other figure
    survey: Any = None  # reports/survey_figures.py SurveyFigures, when the brand has survey orders
    product_names: dict[str, str] = field(default_factory=dict)  # reference -> name, from [brands.products]

    def product_label(self, reference: str) -> str:
        return product_label(self.product_names, reference)

    @property
    def previous_end(self) -> datetime:
        return self.start

    @property
    def past_deadline(self) -> int:
        """Every review past its reply deadline at the report's date: the period's, the previous', older ones."""
        return sum(self.late_by_assignee.values())

    def change(self, now: float | None, before: float | None, now_n: int, before_n: int) -> Change:
        return change(now, before, now_n, before_n, self.min_sample)

    def quoted(self) -> list[int]:
        """The mentions whose text the report shows (quotes, weak signals, late replies): an erasure of their
        author writes the report again (moderation/privacy.py)."""
        quotes = [q for s in self.weak_signals for q in s.quotes]
        quotes += [q for t in self.topics for q in t.praise_examples + t.irritant_examples]
        return sorted({q.mention_id for q in quotes} | {late.mention_id for late in self.late_replies})

    @property
    def praise(self) -> list[TopicFigures]:
        ranked = [t for t in self.topics if t.current["positive"]]
        return sorted(ranked, key=lambda t: (-t.current["positive"], t.name))[:3]

    @property
    def irritants(self) -> list[TopicFigures]:
        ranked = [t for t in self.topics if t.current["negative"]]
        return sorted(ranked, key=lambda t: (-t.current["negative"], t.name))[:3]

"""Build a report from what is stored: mentions, their latest classifications, topic tags, alerts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Brand, Source
from models.rollups import refresh
from reports import collect, periods, rollup_figures, topic_figures, watchlist, weak_signals
from reports.actions import ActionSettings, recommended_actions
from reports.collect import Collector
from reports.competitors import competitors
from reports.crisis_cells import crisis_cells
from reports.figures import Report
from reports.survey_figures import report_figures
from reports.topics import EmbeddingTagger, Topic, describe_version

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    topics: list[Topic]
    product_last_reviews: int = 10
    product_max_rating: float = 3.0
    signal_min_mentions: int = 3
    signal_rise: float = 0.10
    min_sample: int = 30
    actions: ActionSettings = field(default_factory=ActionSettings)
    # Each brand's product references and their names ([brands.products]): the report shows the name.
    product_names: dict[str, dict[str, str]] = field(default_factory=dict)
    # Counts from the daily rollups when the period is whole days (models/rollups.py); False: from the rows.
    rollups: bool = True
    # Each brand's own topic list ([[brands]] industry and topics); a brand not named here has `topics`.
    brand_topics: dict[str, list[Topic]] = field(default_factory=dict)

    def topics_for(self, slug: str) -> list[Topic]:
        return self.brand_topics.get(slug, self.topics)


TREND_MONTHS = 12


def build_report(
    session: Session,
    slug: str,
    start: datetime,
    end: datetime,
    options: Options,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Report:
    """Figures of mentions dated (published, else collected) in [start, end), against the period before (the
    month before for a calendar month, else as long a span) and the same period a year earlier when stored.
    Deadlines are judged at the period's end, or now while it runs: a past period's report never changes."""
    step = progress or (lambda _: None)
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL compiles a costly query to machine code first (JIT): a second or more per report at ten
        # million mentions, for queries that then run in a fraction of that (bench/report.py). This transaction only.
        session.execute(select(func.set_config("jit", "off", True)))
    as_of = min(end, now or datetime.now(UTC))
    period = periods.span(start, end)
    brand = session.scalars(select(Brand).where(Brand.slug == slug)).one()
    declared = list(session.scalars(select(Source).where(Source.brand_id == brand.id).order_by(Source.name)))
    sources = [s for s in declared if not s.competitor]  # a competitor's pages are compared, never counted as ours
    ids = [s.id for s in sources]
    step("mentions")
    collector = Collector(sources, start, end, as_of, period.previous.start)
    span = (ids, collector.previous_start, start, end)
    year = period.year_earlier
    months = [periods.month_of(period.last_day).start]
    while len(months) < TREND_MONTHS:
        months.insert(0, periods.month_of(months[0] - timedelta(days=1)).start)
    # Whole UTC days (every scheduled report): the counts come from the daily rollups, refreshed first.
    fast = options.rollups and rollup_figures.aligned(collector.previous_start, start, end)
    if fast:
        refresh(session)
        counts: Any = rollup_figures
        period_rows: Any = nullcontext(rollup_figures.light_rows(*span))
    else:
        counts = collect
        period_rows = collector.period_rows(session)
    with period_rows as rows:
        if fast:
            rollup_figures.collect(collector, session)
        else:
            collector.run(session, rows)
        report = Report(
            brand=brand.name,
            slug=slug,
            start=start,
            end=end,
            previous_start=collector.previous_start,
            as_of=as_of,
            total=collector.total,
            sources=list(collector.sources.values()),
            products=Collector.top(collector.products),
            locations=Collector.top(collector.locations),
            trend=collector.trend,
            moderation=collector.moderation,
            models=sorted(collector.models),
            unit=period.unit,
            min_sample=options.min_sample,
            off_topic=counts.off_topic_count(session, ids, start, end),
            product_names=options.product_names.get(slug, {}),
        )
        earlier = counts.period_tally(session, ids, year.start, year.end, year.end)
        if earlier.mentions:  # else the database holds nothing of then: no comparison, not a "-100 %"
            report.year_earlier, report.year_start = earlier, year.start
        report.monthly = counts.monthly(session, {s.id: s.name for s in sources}, months, end, as_of)
        step("topics")
        # The brand's own list: its version wins a tie with an older one (both have tagged the whole period).
        topics = options.topics_for(slug)
        own = EmbeddingTagger.version_for(topics)
        if fast:
            version = rollup_figures.tagger_version(session, ids, start, end, own)
            report.untagged = rollup_figures.untagged_count(session, version, ids, start, end)
        else:
            version = topic_figures.tagger_version(session, ids, start, end, own)
            report.untagged = topic_figures.untagged_count(session, version, rows)
        report.topic_version = version
        report.topic_model, report.topic_lists = describe_version(version)
        if version is not None:
            if fast:
                report.topics = rollup_figures.topic_figures(session, topics, version, *span)
            else:
                report.topics = topic_figures.topic_figures(session, topics, version, rows)
            step("examples")
            shown = {t.name for t in report.praise + report.irritants}
            topic_figures.add_examples(session, [t for t in report.topics if t.name in shown], version, rows)
            report.weak_signals = weak_signals.weak_signals(
                session, report.topics, version, rows, options.signal_min_mentions, options.signal_rise, span
            )
    step("watchlist")
    report.low_products = watchlist.low_products(
        session,
        ids,
        end,
        options.product_last_reviews,
        options.product_max_rating,
        rollup_figures.product_names(session, ids, end) if fast else None,
    )
    report.late_replies, report.late_by_assignee = watchlist.late_replies(session, ids, as_of)
    report.crises = watchlist.crises(session, brand.id, start, end)
    report.crisis_cells = crisis_cells(session, brand.id, start, end, as_of)
    report.backlog = watchlist.backlog(session, ids, start, as_of)
    step("competitors")
    report.competitors = competitors(
        session, declared, start, end, period.previous.start, as_of, report.topic_version, topics
    )
    report.survey = report_figures(session, brand.id, start, end)
    report.actions = recommended_actions(report, options.actions)
    return report

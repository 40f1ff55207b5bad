"""What a report says (issue 21): the backlog apart, past deadline counted one way, recommended actions with
owners and links, trend lines, the year-earlier comparison, and no change claimed on a small sample."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Mention, MentionKind, MentionStatus, Source
from reports import html
from reports.actions import ActionSettings
from reports.levels import managerial
from reports.summary import summary
from tests.reports import fixture
from tests.reports.conftest import make_report

Loaded = tuple[sessionmaker[Session], dict[int, int]]
ACTIONS = ActionSettings(
    reply_sla_hours=24,
    product_owners={"P2": "p2-owner@example.com"},
    public_url="https://veilleur.example.org",
)


def test_past_deadline_is_counted_one_way_everywhere(loaded: Loaded) -> None:
    sessions, ids = loaded
    with sessions.begin() as session:
        # Published without a reply, its deadline passed: waiting for a reply all the same (the old table, which
        # read only the reply queue, left it out while the figures counted it).
        session.execute(
            update(Mention).where(Mention.id == ids[2]).values(reply_due_at=fixture.at(3, 9), assignee="bob")
        )
    report = make_report(sessions)
    now = report.total.current
    # #2 and #4 of the period, #10 of the previous one; #3 was answered late, which is not "past deadline".
    assert (now.past_deadline, now.answered_late) == (2, 1)
    assert report.past_deadline == sum(report.late_by_assignee.values()) == 3
    assert report.past_deadline == now.past_deadline + report.backlog.past_deadline
    assert sorted(late.mention_id for late in report.late_replies) == sorted([ids[2], ids[4], ids[10]])
    text = html.render(report, "test")
    assert "3 replies past their deadline (2 of this period, 1 older)" in text
    assert any("3 reviews past their reply deadline: 2 of this period, 1 older" in line for line in managerial(report))
    section = text.split('<section id="service-levels">')[1].split("</section>")[0]
    assert re.findall(r'class="past-deadline">(\d+)<', section)[0] == "2"  # the brand's row


def test_a_reply_dated_after_the_report_leaves_the_review_past_deadline_for_its_assignee(loaded: Loaded) -> None:
    sessions, ids = loaded
    with sessions.begin() as session:
        # Answered only after the report's end: at the report's date it still waited, past its deadline (the
        # per-assignee count reads such reviews apart from the never-answered ones, reports/deadlines.py).
        late = {"reply_due_at": fixture.at(3, 9), "reply_at": fixture.at(20), "reply_text": "Sorry", "assignee": "bob"}
        session.execute(update(Mention).where(Mention.id == ids[2]).values(**late))
    report = make_report(sessions)
    assert report.past_deadline == sum(report.late_by_assignee.values()) == 3
    assert report.late_by_assignee["bob"] == 1


def test_the_backlog_is_shown_apart_from_the_period(loaded: Loaded) -> None:
    sessions, ids = loaded
    with sessions.begin() as session:
        # #2, collected as history by a first crawl, still waits for approval: backlog, not the period's news.
        session.execute(
            update(Mention).where(Mention.id == ids[2]).values(status=MentionStatus.TO_PUBLISH, backlog=True)
        )
    report = make_report(sessions)
    backlog = report.backlog
    # #10 (previous period, waiting for a reply past its deadline) and the history #2.
    assert (backlog.total, backlog.to_publish, backlog.to_reply, backlog.history) == (2, 1, 1, 1)
    assert backlog.past_deadline == 1
    assert report.moderation.pending == 1  # #4 only: the history #2 is the backlog's
    text = html.render(report, "test")
    assert '<section id="backlog">' in text and "2 items dated before 2026-03-01 or collected as history" in text


def test_rejected_reviews_are_out_of_the_ratings_and_counted_apart(loaded: Loaded) -> None:
    sessions, ids = loaded
    with sessions.begin() as session:
        # Spam full of 5 stars, rejected: it must not lift the average.
        session.execute(
            update(Mention)
            .where(Mention.id == ids[8])
            .values(rating=5, rating_normalised=1.0, status=MentionStatus.REJECTED)
        )
    report = make_report(sessions)
    trust = next(s for s in report.sources if s.name == "trust")
    assert (trust.current.rated, trust.current.rejected) == (2, 1)
    assert report.total.current.stars == [1, 1, 1, 1, 2]
    assert "1 rejected, left out of the ratings" in html.render(report, "test")


def test_a_small_sample_is_marked_and_never_compared(sessions: sessionmaker[Session]) -> None:
    # June 2024's case: 18 reviews this period (NPS-like -11), 1 five-star review before (+100).
    with sessions.begin() as session:
        fixture.load(session)
        shop = session.scalars(select(Source).where(Source.name == "shop")).one()
        session.execute(update(Mention).values(published_at=datetime(2020, 1, 1, tzinfo=UTC)))
        for n, value in enumerate([5] * 6 + [4] * 4 + [1] * 8):
            session.add(
                Mention(
                    source_id=shop.id,
                    external_id=f"june{n}",
                    kind=MentionKind.REVIEW,
                    text="Avis.",
                    published_at=fixture.at(2 + n % 5),
                    status=MentionStatus.PUBLISHED,
                    **fixture.stars(value),
                )
            )
        session.add(
            Mention(
                source_id=shop.id,
                external_id="before",
                kind=MentionKind.REVIEW,
                text="Parfait.",
                published_at=fixture.at(24, 10, 2),
                status=MentionStatus.PUBLISHED,
                **fixture.stars(5),
            )
        )
    report = make_report(sessions)
    now, before = report.total.current, report.total.previous
    assert (now.rated, before.rated) == (18, 1)
    assert -100 <= now.nps <= 100 and round(now.nps) == -11  # type: ignore[operator]
    text = html.render(report, "test")
    assert "-111" not in text and "too few to compare" in text
    assert 'title="a small sample: 18 (fewer than 30)"' in text
    assert not any("-111" in line for line in managerial(report))
    compared = html.render(make_report(sessions, min_sample=1), "test")
    assert "-111 pts" in compared  # a setting of 1 compares anything: the figure is the change, and says so


def test_recommended_actions_have_owners_targets_and_console_links(loaded: Loaded) -> None:
    report = make_report(loaded[0], actions=ACTIONS)
    by_owner = {action.owner: action for action in report.actions}
    late = by_owner["alice"]
    assert late.what == "Answer 1 review past the reply deadline"
    assert "24 h" in late.target
    assert late.link == "https://veilleur.example.org/console/queue/to_reply?brand=acme&sla=late"
    assert "the moderators (unassigned)" in by_owner  # #10, nobody on it
    product = by_owner["p2-owner@example.com"]
    assert product.what.startswith("Look into product P2: 1.7/5")
    assert any(action.owner.startswith("no owner") and "P3" in action.what for action in report.actions)
    text = html.render(report, "test")
    box = text.split('id="operational"')[1].split("</div>")[0]
    assert "answer them first" not in box
    assert 'href="https://veilleur.example.org/console/queue/to_reply?brand=acme&amp;sla=late"' in box
    assert '<b class="owner">alice</b>' in box
    posted = summary(report)
    assert "Recommended actions:" in posted
    assert "Answer 1 review past the reply deadline: alice," in posted
    assert "https://veilleur.example.org/console/queue/to_reply?brand=acme&sla=late" in posted


def test_no_public_url_means_no_link(loaded: Loaded) -> None:
    report = make_report(loaded[0], actions=ActionSettings())
    assert report.actions and all(action.link is None for action in report.actions)


def test_monthly_trend_lines_by_source(loaded: Loaded) -> None:
    report = make_report(loaded[0])
    monthly = report.monthly
    assert monthly is not None and len(monthly.months) == 12
    assert monthly.months[0] == datetime(2025, 4, 1, tzinfo=UTC) and monthly.months[-1] == fixture.START
    assert [t.mentions for t in monthly.total[-3:]] == [4, 3, 8]  # January (P3), February, March to the 8th
    assert monthly.by_source["shop"][-1].mentions == 4 and monthly.by_source["trust"][-1].mentions == 4
    assert monthly.total[-3].average_rating == 3.0
    assert monthly.total[-1].share("negative") == 0.5


def test_the_same_period_a_year_earlier_when_stored(loaded: Loaded) -> None:
    sessions, _ = loaded
    assert make_report(sessions).year_earlier is None  # nothing stored then: no "-100 %"
    with sessions.begin() as session:
        shop = session.scalars(select(Source).where(Source.name == "shop")).one()
        session.add(
            Mention(
                source_id=shop.id,
                external_id="last-year",
                kind=MentionKind.REVIEW,
                text="Bien.",
                published_at=datetime(2025, 3, 2, tzinfo=UTC),
                status=MentionStatus.PUBLISHED,
                **fixture.stars(4),
            )
        )
    report = make_report(sessions)
    assert report.year_earlier is not None and report.year_earlier.mentions == 1
    assert "A year earlier" in html.render(report, "test")


def test_products_are_shown_by_their_name_with_the_reference(loaded: Loaded) -> None:
    # [brands.products] names them: a marketing team reads "Carottes bio, 500 g", not the SKU alone.
    report = make_report(loaded[0], actions=ACTIONS, product_names={"acme": {"P2": "Burger du chef"}})
    assert any(action.what.startswith("Look into product Burger du chef (P2): 1.7/5") for action in report.actions)
    assert any("product P3:" in action.what for action in report.actions)  # not named: the reference alone
    text = html.render(report, "test")
    products = text.split("<h3>By product</h3>")[1].split("</table>")[0]
    assert "<td>Burger du chef (P2)</td>" in products
    watched = text.split('<section id="products">')[1].split("</section>")[0]
    assert "<td>Burger du chef (P2)</td>" in watched
    other = make_report(loaded[0], product_names={"other-brand": {"P2": "Not ours"}})
    assert "Not ours" not in html.render(other, "test")

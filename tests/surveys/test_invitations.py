"""Invitations to a real local SMTP server (aiosmtpd): due after the delay, one reminder at most, the cap across
campaigns, the one-click unsubscribe by the header (RFC 8058) and by the link, bounces recorded by the command.
The clock is driven: every job takes `now`."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from typer.testing import CliRunner

from models import Brand, SurveyMessage, SurveyOptOut, SurveyOrder
from scheduler.survey_jobs import invite
from surveys.orders import read_orders, store_orders
from tests.surveys.support import NOW, free_port, orders_csv, serve_on, smtp_server, survey_context
from veilleur.cli import app
from web.app import create_app


@pytest.fixture
def world(tmp_path, database_url):
    """SMTP server, the app on a real port (its address is the links' public_url), a context pointing at both."""
    port = free_port()
    with smtp_server() as (mailbox, smtp_port):
        context = survey_context(
            tmp_path, database_url, smtp_port, public_url=f"http://127.0.0.1:{port}", reminder_days=4
        )
        with serve_on(create_app(context), port) as url:
            yield context, mailbox, url
        context.close()


def add_orders(context, rows):
    with context.sessions.begin() as session:
        brand = session.query(Brand).filter_by(slug="acme").one()
        store_orders(session, brand.id, read_orders(orders_csv(rows), "o.csv"), "post-purchase")


def test_the_invitation_leaves_after_the_delay_in_both_parts_with_the_list_headers(world):
    context, mailbox, url = world
    add_orders(context, [{"order_ref": "A-1", "email": "camille@example.com", "delivered_at": "2026-11-28"}])
    queued = invite(context, NOW)  # delivered 2 days ago, the delay is 3
    assert (queued.invitations, queued.sent, len(mailbox.messages)) == (0, 0, 0)
    queued = invite(context, NOW + timedelta(days=1))
    assert (queued.invitations, queued.sent, queued.failed) == (1, 1, 0)
    [message] = mailbox.messages
    assert message["To"] == "camille@example.com"
    assert message["Subject"] == "Acme : votre avis sur la commande A-1"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["List-Unsubscribe"]
        .strip()
        .startswith(  # folded: a long header goes on its own line
            f"<{url}/survey/unsubscribe/"
        )
    )
    text, page = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert "Bonjour Camille" in text and "Bonjour Camille" in page
    link = next(line for line in text.splitlines() if line.startswith(f"{url}/survey/"))
    assert f'href="{link}"' in page
    assert httpx.get(link).status_code == 200  # the link opens the form
    assert invite(context, NOW + timedelta(days=2)).sent == 0  # sent once


def test_an_order_that_cannot_be_written_as_an_e_mail_fails_alone(world):
    # Stored before orders were checked for line breaks: its subject cannot be written. The invitation job raised
    # on it at every run and the invitations after it never left; now it is given up at once, the others leave.
    context, mailbox, _ = world
    rows = [{"order_ref": ref, "email": f"{ref.lower()}@example.com", "delivered_at": "2026-11-28"} for ref in "ABC"]
    add_orders(context, rows)
    with context.sessions.begin() as session:
        session.query(SurveyOrder).filter_by(order_ref="A").one().order_ref = "A\r\nBcc: victim@example.org"
    queued = invite(context, NOW + timedelta(days=1))
    assert (queued.invitations, queued.sent, queued.failed) == (3, 2, 1)
    assert sorted(message["To"] for message in mailbox.messages) == ["b@example.com", "c@example.com"]
    assert not any("victim" in str(message) for message in mailbox.messages)
    with context.sessions() as session:
        [given_up] = session.query(SurveyMessage).filter(SurveyMessage.failed_at.is_not(None)).all()
    assert "linefeed" in given_up.last_error
    assert invite(context, NOW + timedelta(days=1, minutes=30)).failed == 0  # given up, not retried


def test_one_reminder_at_most_and_none_after_an_answer(world):
    context, mailbox, _ = world
    add_orders(
        context,
        [
            {"order_ref": "R-1", "email": "a@example.com", "delivered_at": "2026-11-20"},
            {"order_ref": "R-2", "email": "b@example.com", "delivered_at": "2026-11-20"},
        ],
    )
    invite(context, NOW)
    with context.sessions.begin() as session:  # R-2's customer answers
        from models import SurveyAnswer

        order = session.query(SurveyOrder).filter_by(order_ref="R-2").one()
        session.add(
            SurveyAnswer(order_id=order.id, stars=5, experienced_at=NOW, language="fr", created_at=NOW, updated_at=NOW)
        )
    assert invite(context, NOW + timedelta(days=3)).reminders == 0  # too early
    queued = invite(context, NOW + timedelta(days=4))
    assert (queued.reminders, queued.sent) == (1, 1)
    assert mailbox.messages[-1]["Subject"] == "Rappel : votre avis sur la commande R-1"
    assert invite(context, NOW + timedelta(days=9)).reminders == 0
    assert [m["To"] for m in mailbox.messages] == ["a@example.com", "b@example.com", "a@example.com"]


def test_the_cap_holds_across_two_campaigns(world):
    context, mailbox, _ = world
    add_orders(
        context,
        [
            {"order_ref": "C-1", "email": "camille@example.com", "delivered_at": "2026-11-20", "campaign": "spring"},
            {"order_ref": "C-2", "email": "Camille@example.com", "delivered_at": "2026-11-21", "campaign": "box"},
        ],
    )
    queued = invite(context, NOW)
    assert (queued.invitations, queued.capped, queued.sent) == (1, 1, 1)
    # A third order two months later, another campaign: still within cap_days (90), so not asked either.
    add_orders(
        context,
        [
            {
                "order_ref": "C-3",
                "email": "camille@example.com",
                "delivered_at": "2027-01-20",
                "ordered_at": "2027-01-18",
                "campaign": "winter",
            }
        ],
    )
    assert invite(context, NOW + timedelta(days=55)).capped == 1
    # After the cap's window, a new order is asked about again.
    add_orders(
        context,
        [
            {
                "order_ref": "C-4",
                "email": "camille@example.com",
                "delivered_at": "2027-03-01",
                "ordered_at": "2027-02-25",
                "campaign": "spring",
            }
        ],
    )
    assert invite(context, NOW + timedelta(days=94)).invitations == 1
    assert [m["Subject"].rsplit(" ", 1)[-1] for m in mailbox.messages] == ["C-1", "C-4"]
    with context.sessions() as session:
        skipped = {o.order_ref: o.skipped for o in session.query(SurveyOrder)}
    assert skipped == {"C-1": None, "C-2": "cap", "C-3": "cap", "C-4": None}


def _unsubscribe_address(message) -> str:
    return message["List-Unsubscribe"].strip().strip("<>")


def test_unsubscribe_by_the_header_is_honoured_at_once_and_kept(world):
    context, mailbox, _ = world
    add_orders(context, [{"order_ref": "U-1", "email": "u@example.com", "delivered_at": "2026-11-20"}])
    invite(context, NOW)
    # What a mail client does for its "unsubscribe" button (RFC 8058 section 3.1).
    response = httpx.post(
        _unsubscribe_address(mailbox.messages[0]),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    add_orders(
        context,
        [{"order_ref": "U-2", "email": "u@example.com", "delivered_at": "2027-03-20", "ordered_at": "2027-03-18"}],
    )
    queued = invite(context, NOW + timedelta(days=115))  # past the cap: only the opt-out stops it
    assert (queued.reminders, queued.invitations, queued.opted_out, queued.sent) == (0, 0, 1, 0)
    assert len(mailbox.messages) == 1
    with context.sessions() as session:
        assert [(o.email, o.reason) for o in session.query(SurveyOptOut)] == [("u@example.com", "unsubscribe")]


def test_unsubscribe_by_the_link_takes_one_button_and_a_fetch_changes_nothing(world):
    context, mailbox, _ = world
    add_orders(context, [{"order_ref": "L-1", "email": "l@example.com", "delivered_at": "2026-11-20"}])
    invite(context, NOW)
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    link = next(line.split(": ", 1)[1] for line in text.splitlines() if "/survey/unsubscribe/" in line)
    page = httpx.get(link)  # a link scanner or a person opening it
    assert page.status_code == 200 and "Me désabonner" in page.text
    with context.sessions() as session:
        assert session.query(SurveyOptOut).count() == 0
    assert httpx.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with context.sessions() as session:
        assert session.query(SurveyOptOut).one().email == "l@example.com"
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert httpx.post(forged).status_code == 403


def test_a_bounce_is_recorded_and_drops_what_is_queued(world):
    context, mailbox, _ = world
    add_orders(context, [{"order_ref": "B-1", "email": "gone@example.com", "delivered_at": "2026-11-20"}])
    invite(context, NOW)
    with context.sessions.begin() as session:  # the reminder is queued, not yet sent
        order = session.query(SurveyOrder).one()
        session.add(SurveyMessage(order_id=order.id, kind="reminder", recipient=order.email, created_at=NOW))
    result = CliRunner().invoke(
        app, ["survey", "bounce", "Gone@example.com", "--brand", "acme", "--settings", str(context.settings_path)]
    )
    assert result.exit_code == 0 and "bounce recorded" in result.output
    assert invite(context, NOW + timedelta(days=5)).sent == 0
    assert len(mailbox.messages) == 1
    with context.sessions() as session:
        reminder = session.query(SurveyMessage).filter_by(kind="reminder").one()
        assert reminder.failed_at is not None and "bounce" in reminder.last_error

"""Personal data in the survey tables: an erasure by e-mail leaves no trace of the person in any table nor in the
mail sink, keeps their opt-out (as a keyed hash) so that a later import of the address is still refused an
invitation, and the retention period strips old orders as it pseudonymises silent authors."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update
from typer.testing import CliRunner

from models import Brand, SurveyAnswer, SurveyMessage, SurveyOptOut, SurveyOrder
from models.surveys import FORGOTTEN
from moderation.privacy import erase_author
from scheduler.survey_jobs import file_answers, invite
from surveys.answers import check, save
from surveys.invitations import form_link
from surveys.optouts import opt_out
from surveys.orders import read_orders, store_orders
from tests.publishing.test_privacy import dump
from tests.surveys.support import NOW, free_port, orders_csv, serve_on, survey_context
from veilleur.cli import app
from web.app import create_app

EMAIL = "heloise.b@example.com"
WORDS = "Le panier d'Héloïse est arrivé écrasé, les tomates en compote."
ANSWER = {"stars": "2", "title": "Panier écrasé", "text": WORDS, "experienced_at": "2026-11-22", "consent": "yes"}


def add_orders(context, rows):
    with context.sessions.begin() as session:
        brand = session.query(Brand).filter_by(slug="acme").one()
        return store_orders(session, brand.id, read_orders(orders_csv(rows), "o.csv"), "post-purchase")


def answer(context, order_ref, now):
    with context.sessions.begin() as session:
        order = session.query(SurveyOrder).filter_by(order_ref=order_ref).one()
        fields, problems = check(ANSWER, order, now)
        assert fields is not None, problems
        save(session, order, fields, timedelta(hours=2), now)


def brand_id(context) -> int:
    with context.sessions() as session:
        return session.query(Brand).filter_by(slug="acme").one().id


def test_erase_by_email_leaves_no_trace_in_the_survey_tables_nor_the_mail_sink(tmp_path, database_url):
    port = free_port()
    context = survey_context(tmp_path, database_url, public_url=f"http://127.0.0.1:{port}", edit_hours=2)
    add_orders(
        context,
        [
            {"order_ref": "HB-771", "email": EMAIL, "first_name": "Héloïse", "delivered_at": "2026-11-20"},
            # Another order of hers, any case: capped (one invitation in cap_days), never asked.
            {
                "order_ref": "HB-772",
                "email": "Heloise.B@Example.com",
                "first_name": "Héloïse",
                "delivered_at": "2026-11-25",
                "products": "Panier Bergerac",
            },
            {"order_ref": "LU-1", "email": "luc@example.com", "first_name": "Luc", "delivered_at": "2026-11-20"},
        ],
    )
    assert invite(context, NOW).sent == 2  # to the mail sink (no SMTP host)
    answer(context, "HB-771", NOW)
    assert file_answers(context, NOW + timedelta(hours=3)) == 1  # her answer is now a review too
    with context.sessions.begin() as session:
        order = session.query(SurveyOrder).filter_by(order_ref="HB-771").one()
        invited_link = form_link(session, context.settings, order, NOW)
        session.add(SurveyMessage(order_id=order.id, kind="reminder", recipient=EMAIL, created_at=NOW))
        opt_out(session, order.brand_id, EMAIL, "unsubscribe", NOW)
    sink = tmp_path / "mail-sink.jsonl"
    assert EMAIL in sink.read_text(encoding="utf-8")

    result = CliRunner().invoke(
        app, ["privacy", "erase", "--contact", "HELOISE.B@example.com", "--settings", str(context.settings_path)]
    )
    assert result.exit_code == 0, result.output
    values = dump(context.sessions)
    for trace in (EMAIL, "héloïse", "hb-771", "hb-772", "écrasé", "tomates", "bergerac"):
        assert [value for value in values if trace in value[2].casefold()] == [], trace
    assert ("survey_order", "email", "luc@example.com") in values  # the other customer is untouched
    mail = sink.read_text(encoding="utf-8")
    assert "heloise" not in mail.casefold() and "HB-771" not in mail
    assert "luc@example.com" in mail
    assert "2 survey order(s) stripped of them" in " ".join(result.output.split())
    with context.sessions() as session:
        messages = session.query(SurveyMessage).order_by(SurveyMessage.id).all()
        # The sent invitation stays (the figures count it), the unsent reminder is gone.
        assert [(m.kind, m.recipient.startswith("key:")) for m in messages] == [
            ("invitation", True),
            ("invitation", False),
        ]
        [kept] = session.query(SurveyAnswer).all()
        assert (kept.stars, kept.title, kept.text) == (2, None, None)
        [out] = session.query(SurveyOptOut).all()
        assert out.email.startswith("key:") and out.reason == "unsubscribe"
        orders = sorted((o.email, o.skipped or "", o.first_name or "") for o in session.query(SurveyOrder))
        # The invited order is marked erased (no reminder will follow); the capped one keeps why it was skipped.
        assert orders == sorted([(FORGOTTEN, "erased", ""), (FORGOTTEN, "cap", ""), ("luc@example.com", "", "Luc")])
    # Her form link opens nothing any more.
    with serve_on(create_app(context), port):
        assert httpx.get(invited_link).status_code == 410
    context.close()


def test_an_erased_person_who_unsubscribed_gets_no_invitation_on_a_reimport(tmp_path, database_url):
    context = survey_context(tmp_path, database_url)
    add_orders(context, [{"order_ref": "U-1", "email": "u@example.com", "delivered_at": "2026-11-20"}])
    assert invite(context, NOW).sent == 1
    with context.sessions.begin() as session:
        opt_out(session, brand_id(context), "u@example.com", "unsubscribe", NOW)
        # No review of hers: she is found by the address her invitation went to.
        erased = erase_author(session, contact="U@example.com", actor="test")
        assert (erased.authors, erased.surveys.orders, erased.surveys.opt_outs) == (0, 1, 1)
    assert "u@example.com" not in {value for _, _, value in dump(context.sessions)}
    # The brand's next file lists the same order (delivered): nothing is stored again.
    again = add_orders(context, [{"order_ref": "U-1", "email": "u@example.com", "delivered_at": "2026-11-20"}])
    assert (again.new, again.delivered, again.unchanged) == (0, 0, 1)
    # A new order months later, past the cap: the opt-out, kept as a keyed hash, still refuses it.
    add_orders(
        context,
        [{"order_ref": "U-2", "email": "u@example.com", "delivered_at": "2027-03-20", "ordered_at": "2027-03-18"}],
    )
    queued = invite(context, NOW + timedelta(days=115))
    assert (queued.invitations, queued.opted_out, queued.sent) == (0, 1, 0)
    context.close()


def test_an_invitation_to_an_erased_person_still_counts_towards_the_cap(tmp_path, database_url):
    context = survey_context(tmp_path, database_url)
    add_orders(context, [{"order_ref": "C-1", "email": "c@example.com", "delivered_at": "2026-11-20"}])
    assert invite(context, NOW).sent == 1
    with context.sessions.begin() as session:
        erase_author(session, contact="c@example.com", actor="test")
    add_orders(
        context,
        [{"order_ref": "C-2", "email": "c@example.com", "delivered_at": "2026-12-10", "ordered_at": "2026-12-08"}],
    )
    queued = invite(context, NOW + timedelta(days=14))  # within cap_days (90) of the first invitation
    assert (queued.invitations, queued.capped) == (0, 1)
    context.close()


def test_retention_strips_old_orders_and_hashes_old_opt_outs(tmp_path, database_url):
    context = survey_context(tmp_path, database_url)
    add_orders(
        context,
        [
            {
                "order_ref": "OLD-1",
                "email": "old@example.com",
                "first_name": "Oriane",
                "ordered_at": "2020-01-10",
                "delivered_at": "2020-01-12",
            },
            {"order_ref": "NEW-1", "email": "new@example.com", "first_name": "Noé"},  # not delivered yet
        ],
    )
    with context.sessions.begin() as session:
        old = session.query(SurveyOrder).filter_by(order_ref="OLD-1").one()
        session.add(SurveyMessage(order_id=old.id, kind="invitation", recipient=old.email, sent_at=old.delivered_at))
        session.execute(update(SurveyOrder).where(SurveyOrder.id == old.id).values(created_at=old.delivered_at))
        opt_out(session, old.brand_id, "old@example.com", "unsubscribe", old.delivered_at + timedelta(days=3))
        opt_out(session, old.brand_id, "new@example.com", "bounce", NOW)
    result = CliRunner().invoke(app, ["privacy", "retention", "--settings", str(context.settings_path)])
    assert result.exit_code == 0, result.output
    assert "1 survey order(s) stripped of their customer" in " ".join(result.output.split())  # rich wraps lines
    values = dump(context.sessions)
    assert [value for value in values if "old@example.com" in value[2] or "Oriane" in value[2]] == []
    assert ("survey_order", "email", "new@example.com") in values and ("survey_order", "first_name", "Noé") in values
    with context.sessions() as session:
        outs = {o.reason: o.email for o in session.query(SurveyOptOut)}
        assert outs["unsubscribe"].startswith("key:") and outs["bounce"] == "new@example.com"
    # An order the brand sends again once forgotten by retention is refused like an erased one.
    add_orders(context, [{"order_ref": "OLD-2", "email": "old@example.com", "delivered_at": "2026-11-20"}])
    assert invite(context, NOW).opted_out == 1
    context.close()

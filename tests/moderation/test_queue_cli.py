"""`veilleur queue` as a moderator uses it, on a real settings file and database."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.settings import load_settings
from crawlers.survey_import import import_survey_body
from models import Mention, MentionStatus, ModerationEvent, Source
from moderation.jobs import classify_pending, route_classified
from moderation.policy import Thresholds
from scheduler import jobs
from tests.conftest import write_settings
from tests.moderation.support import SURVEY_BRAND as BRAND
from tests.moderation.support import RatingClassifier, survey_csv
from veilleur.cli import app

TEMPLATES = """
[moderation.reply_templates.fr]
excuses = "Bonjour {name}, toutes nos excuses."
"""


@pytest.fixture
def settings(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, BRAND + TEMPLATES)
    context = jobs.Context(load_settings(path), path)
    rows = [
        {"order_ref": "A1", "rating": "5", "text": "Parfait <b>vraiment</b>.", "author": "Marie Dupont"},
        {"order_ref": "A2", "rating": "1", "text": "Colis arrivé cassé.", "author": "Jean Martin"},
    ]
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        import_survey_body(session, source.id, survey_csv(rows), "export.csv", "https://acme.example/survey")
    classify_pending(context.sessions, RatingClassifier())
    route_classified(context.sessions, Thresholds(0.5, 0.5, 0.5), "#alerts")
    yield path, context
    context.close()


def run(path, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["queue", *args, "--settings", str(path)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_list_approve_undo_reject_reply_and_export_corrections(settings, tmp_path):
    path, context = settings
    code, out = run(path, "list", "to_publish")
    assert code == 0 and "Parfait" in out and "Colis" in out
    code, out = run(path, "list", "to_reply")
    assert code == 0 and "Colis" in out and "Parfait" not in out
    code, out = run(path, "approve", "1", "2", "--as", "alice")
    assert code == 0 and "#1: done" in out and "#2: done" in out
    code, out = run(path, "approve", "1", "--as", "alice")
    assert code == 1 and "is published" in out
    assert run(path, "undo", "2", "--as", "alice")[0] == 0
    code, out = run(path, "reject", "2", "--reason", "off_topic", "--as", "bob")
    assert code == 0
    code, out = run(path, "reject", "1", "--reason", "rude")
    assert code == 2 and "unknown reason 'rude'" in out
    code, out = run(path, "reply", "1", "--template", "excuses", "--as", "alice")
    assert code == 0
    code, out = run(path, "reply", "1", "--template", "nope")
    assert code == 2 and "no reply template 'nope'" in out and "excuses" in out
    assert run(path, "correct", "2", "--task", "sentiment", "--label", "negative")[0] == 0
    code, out = run(path, "show", "2")
    assert code == 0 and "cli:bob: reject" in out and "off_topic" in out
    assert re.search(r"written: \d{4}-\d\d-\d\d \d\d:\d\d UTC · experienced: (\d{4}-\d\d-\d\d|-)\n", out), out
    out_file = tmp_path / "corrections.jsonl"
    assert run(path, "corrections", "--out", str(out_file))[0] == 0
    assert [json.loads(line) for line in out_file.read_text().splitlines()] == [
        {"text": "Colis arrivé cassé.", "task": "sentiment", "label": "negative"}
    ]
    with context.sessions() as session:
        first, second = session.get_one(Mention, 1), session.get_one(Mention, 2)
        assert first.status == MentionStatus.PUBLISHED and first.reply_text == "Bonjour Marie D., toutes nos excuses."
        assert second.status == MentionStatus.REJECTED
        actors = session.scalars(select(ModerationEvent.actor).order_by(ModerationEvent.id)).all()
        assert actors == [
            "policy",
            "policy",
            "cli:alice",
            "cli:alice",
            "cli:alice",
            "cli:bob",
            "cli:alice",
            *actors[7:],
        ]


def test_stored_corrections_are_training_examples_for_model_train(settings):
    from moderation.classifier.transformer.data import from_corrections
    from veilleur.commands.queue import stored_corrections

    path, _ = settings
    assert run(path, "correct", "2", "--task", "toxic", "--label", "0")[0] == 0
    assert run(path, "correct", "1", "--task", "stars", "--label", "5")[0] == 0
    examples = from_corrections(stored_corrections(path))
    assert [(e.text, e.toxic, e.stars) for e in examples] == [
        ("Colis arrivé cassé.", 0, None),
        ("Parfait vraiment.", None, 5),  # (the store pipeline strips markup from every source)
    ]


def test_list_shows_why_each_mention_is_there_and_filters_by_rule(settings):
    path, context = settings
    rows = [{"order_ref": "A3", "rating": "4", "consent": "non", "text": "Bien, sans plus.", "author": "Ana Ruiz"}]
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        import_survey_body(session, source.id, survey_csv(rows), "export2.csv", "https://acme.example/survey")
    classify_pending(context.sessions, RatingClassifier())
    route_classified(context.sessions, Thresholds(0.5, 0.5, 0.5), "#alerts")
    code, out = run(path, "list", "flagged", "--rule", "own_review_without_consent")
    assert code == 0 and "Bien, sans plus." in out and "own_review_without_consent" in out and "Parfait" not in out
    code, out = run(path, "list", "flagged", "--rule", "abusive_post")
    assert code == 0 and "Bien, sans plus." not in out and "(0 of 0 shown)" in out
    code, out = run(path, "list", "to_publish", "--brand", "acme")
    assert code == 0 and "own_review_with_consent" in out and "Bien, sans plus." not in out
    code, out = run(path, "list", "waiting")
    assert code == 2 and "unknown queue 'waiting'" in out


def test_list_keeps_one_line_per_mention_in_a_narrow_terminal(settings):
    path, _ = settings
    result = CliRunner().invoke(app, ["queue", "list", "to_publish", "--settings", str(path)], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 60
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 2  # two mentions, one line each: nothing wrapped
    assert rows[0].split("│")[1].strip() in {"1", "2"} and "rating" in result.output  # id and rating kept
    assert "lang" not in result.output  # the least needed column gave way


def test_text_from_outside_is_printed_as_written_never_read_as_markup(settings):
    # A title holding Rich markup used to be parsed: "[/x]" raised a MarkupError; text and names print as written.
    path, context = settings
    body = (
        "order_ref,submitted_at,experienced_at,rating,consent,language,title,text,author\n"
        "A4,2026-11-20T10:00:00+00:00,2026-11-18,4,oui,fr,Top [/x] [bold],Bien [red]vu[/red].,Eve [/b]\n"
    )
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        import_survey_body(session, source.id, body.encode(), "export3.csv", "https://acme.example/survey")
    classify_pending(context.sessions, RatingClassifier())
    route_classified(context.sessions, Thresholds(0.5, 0.5, 0.5), "#alerts")
    code, out = run(path, "show", "3")
    assert code == 0, out
    assert "Top [/x] [bold]" in out and "Bien [red]vu[/red]." in out and "author: Eve [." in out
    code, out = run(path, "list", "to_publish")
    assert code == 0 and "Bien [red]vu[/red]." in out, out


POSTS = ["Recette testée, cinq étoiles !", "Super recette.", "Merci !"]


def _posts(context) -> list[int]:  # type: ignore[no-untyped-def]
    from models import Brand, MentionKind

    with context.sessions.begin() as session:
        brand = session.scalars(select(Brand)).one()
        social = Source(brand_id=brand.id, name="mastodon", kind="mastodon")
        session.add(social)
        session.flush()
        for n, text in enumerate(POSTS):
            session.add(Mention(source_id=social.id, external_id=f"p{n}", kind=MentionKind.POST, text=text))
    classify_pending(context.sessions, RatingClassifier())
    route_classified(context.sessions, Thresholds(0.5, 0.5, 0.5), "#alerts")
    with context.sessions() as session:
        return list(session.scalars(select(Mention.id).where(Mention.kind == MentionKind.POST).order_by(Mention.id)))


def test_list_without_a_queue_gives_every_total_and_a_queue_says_of_how_many(settings):
    path, context = settings
    _posts(context)
    code, out = run(path, "list")
    assert code == 0
    totals = {line.split()[1]: line.split()[3] for line in out.splitlines() if line.startswith("│ ")}
    assert totals == {
        "to_publish": "2",
        "to_reply": "1",
        "flagged": "3",
        "off_topic": "0",
        "rejected": "0",
        "published": "0",
    }
    code, out = run(path, "list", "flagged", "--limit", "2")
    assert code == 0 and "flagged (2 of 3 shown)" in out
    code, out = run(path, "list", "to_publish")
    assert code == 0 and "to_publish (2 of 2 shown)" in out


def test_handled_and_dismiss_empty_the_flagged_queue_one_by_one_and_all_at_once(settings):
    path, context = settings
    first, *others = _posts(context)
    code, out = run(path, "handled", str(first), "--as", "alice")
    assert code == 0 and f"#{first}: done" in out
    code, out = run(path, "list", "flagged")
    assert "flagged (2 of 2 shown)" in out
    code, out = run(path, "dismiss")
    assert code == 2 and "give mention ids, or --all" in out
    code, out = run(path, "dismiss", "--all", "--rule", "post", "--as", "alice")
    assert code == 0 and all(f"#{i}: done" in out for i in others)
    code, out = run(path, "list", "flagged")
    assert "flagged (0 of 0 shown)" in out
    code, out = run(path, "dismiss", str(first))
    assert code == 1 and "is dismissed: cannot dismiss it" in out
    with context.sessions() as session:
        statuses = set(session.scalars(select(Mention.status).where(Mention.id.in_([first, *others]))))
        assert statuses == {MentionStatus.DISMISSED}


def test_rejecting_a_published_review_asks_for_confirmation(settings):
    from models import Publication, WebhookDelivery

    path, context = settings
    assert run(path, "approve", "1", "--as", "alice")[0] == 0
    # Not a terminal (CliRunner's stdin): refused, saying what would happen; nothing done.
    code, out = run(path, "reject", "1", "2", "--reason", "off_topic", "--as", "bob")
    assert code == 2
    assert "#1 is published: rejecting withdraws it from the brand's site" in " ".join(out.split())
    assert "--yes" in out
    with context.sessions() as session:
        assert session.get_one(Mention, 1).status == MentionStatus.PUBLISHED
        assert session.get_one(Mention, 2).status == MentionStatus.TO_PUBLISH
        assert session.scalars(select(Publication.withdrawn_at)).one() is None
    code, out = run(path, "reject", "1", "2", "--reason", "off_topic", "--yes", "--as", "bob")
    assert code == 0 and "#1: done" in out and "#2: done" in out
    with context.sessions() as session:
        assert session.get_one(Mention, 1).status == MentionStatus.WITHDRAWN
        assert session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id)).all()[-1] == "withdrawn"


def test_status_counts_the_queues_as_queue_list_does(settings):
    # `veilleur status` listed raw statuses ("watch 61") while `queue list` said "flagged 41": off-topic mentions
    # counted in both. Now one count, the queues' own (moderation/queues.py), and what the pipeline has not reached.
    path, context = settings
    with context.sessions.begin() as session:
        first, second = session.scalars(select(Mention).order_by(Mention.id)).all()
        second.off_topic = True
        source = session.scalars(select(Source)).one()
        session.add(Mention(source_id=source.id, external_id="later", kind="review", text="Pas encore lu."))
    listed = run(path, "list")[1]
    shown = CliRunner().invoke(app, ["status", "--settings", str(path)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for queue in ("to_publish", "to_reply", "off_topic"):
        in_list = re.search(rf"│ {queue} +│ +(\d+) │", listed)
        in_status = re.search(rf"│ {queue} +│ (\d+) +│", shown.output)
        assert in_list and in_status and in_list[1] == in_status[1], (queue, listed, shown.output)
    assert re.search(r"│ off_topic +│ 1 +│", shown.output)
    assert re.search(r"│ - +│ 1 +│ collected, not classified yet", shown.output)
    assert "Failed alerts (`veilleur alerts retry` sends them again): none" in shown.output

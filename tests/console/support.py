"""A console on a real database with a handful of reviews in every queue, for the HTTP and browser tests."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from config.settings import load_settings
from models import (
    Alert,
    AlertKind,
    Author,
    Brand,
    Classification,
    Mention,
    MentionKind,
    MentionStatus,
    ModerationEvent,
    Source,
    utcnow,
)
from scheduler import jobs
from tests.conftest import write_settings
from web.console.passwords import hash_password

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"
# Cheap hashes: the tests log in often; production hashes use the default cost.
HASH = hash_password(PASSWORD, cost=2**10)


def console_settings(secret: str = "console-secret-for-tests-long-enough-to-sign", **extra: str) -> dict[str, str]:
    lines = [f'secret_key = "{secret}"', "login_attempts = 3", "page_size = 3"]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    users = ", ".join(
        f'{{ name = "{name}", role = "{role}", password_hash = "{HASH}" }}'
        for name, role in (("mia", "moderator"), ("vic", "viewer"), ("ada", "admin"))
    )
    lines.append(f"users = [{users}]")
    templates = (
        "[moderation.reply_templates.fr]\n"
        'merci = "Bonjour {name}, merci pour votre avis !"\n'
        "[moderation.reply_templates.en]\n"
        'thanks = "Hello {name}, thank you!"\n'
    )
    return {"console": "\n".join(lines) + "\n" + templates}


def make_context(folder: Path, database_url: str, **console: str) -> jobs.Context:
    path = write_settings(folder, database_url, "", **console_settings(**console))
    context = jobs.Context(load_settings(path), path)
    seed(context)
    return context


def seed(context: jobs.Context) -> None:
    """1, 2, 5, 6: to publish (2 holds markup and is negative, due soon); 3: to reply, late; 4: flagged."""
    now = utcnow()
    with context.sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        survey = Source(brand_id=brand.id, name="survey", kind="survey", own=True, consent=True)
        trustpilot = Source(
            brand_id=brand.id, name="trustpilot", kind="trustpilot", healthy=False, health_reason="HTTP 403"
        )
        session.add_all([survey, trustpilot])
        session.flush()
        author = Author(
            source_kind="survey", handle="a1b2c3d4e5f6" * 2, name="Camille Durand", display_name="Camille D."
        )
        session.add(author)
        session.flush()
        rows = [
            (
                1,
                survey,
                MentionStatus.TO_PUBLISH,
                "Livraison rapide, très contente.",
                5,
                "fr",
                "positive",
                "own_review",
            ),
            (2, survey, MentionStatus.TO_PUBLISH, f"Colis abîmé {XSS} déçue", 1, "fr", "negative", "negative_review"),
            (
                3,
                trustpilot,
                MentionStatus.TO_REPLY,
                "Trois semaines que j'attends ce colis",
                1,
                "fr",
                "negative",
                "negative_review",
            ),
            (4, trustpilot, MentionStatus.WATCH, "Vous êtes des escrocs", None, "fr", "negative", "abusive"),
            (5, survey, MentionStatus.TO_PUBLISH, "Great service, would buy again", 5, "en", "positive", "own_review"),
            (6, survey, MentionStatus.TO_PUBLISH, "Correct sans plus", 3, "fr", "neutral", "own_review"),
        ]
        for number, source, status, text, rating, language, sentiment, rule in rows:
            due = {2: now + timedelta(hours=2), 3: now - timedelta(hours=1)}.get(number)
            session.add(
                Mention(
                    id=number,
                    source_id=source.id,
                    external_id=str(number),
                    kind=MentionKind.REVIEW if rating else MentionKind.POST,
                    url=f"https://example.org/review/{number}" if number != 4 else "javascript:alert(2)",
                    author_id=author.id if number in (2, 4) else None,
                    text=text,
                    rating=rating,
                    rating_best=5.0 if rating else None,
                    rating_normalised=(rating - 1) / 4 if rating else None,
                    language=language,
                    published_at=now - timedelta(days=number),
                    consent=source.own,
                    status=status,
                    reply_due_at=due,
                )
            )
            session.flush()
            session.add(
                Classification(
                    mention_id=number,
                    model_name="fake",
                    model_version="1",
                    language=language,
                    sentiment=sentiment,
                    stars=float(rating or 1),
                    toxic=0.95 if rule == "abusive" else 0.02,
                    spam=0.01,
                )
            )
            session.add(
                ModerationEvent(
                    mention_id=number,
                    actor="policy",
                    action="route",
                    from_status="classified",
                    to_status=status.value,
                    reason=f"routed by {rule}",
                    details={"rule": rule, "score": 0.95 if rule == "abusive" else 0.7, "threshold": 0.9},
                )
            )
        session.add(
            Alert(brand_id=brand.id, mention_id=3, kind=AlertKind.REVIEW_TO_ANSWER, dedupe_key="r:3", channel="#a")
        )


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)

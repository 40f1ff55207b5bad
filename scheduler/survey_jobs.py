"""The survey's two jobs: invite (queue who is due, then send through SMTP or the mail sink) and file (answers
whose edit window is over become reviews, by the survey import of crawlers/survey_import.py)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from crawlers.survey_import import SurveyFileError, import_survey_body
from models import Brand, Mention, Source, utcnow
from models.mailer import mailer_for
from scheduler.context import Context
from surveys.answers import due_for_filing, export_row
from surveys.invitations import Queued, base_url, queue_due, send_due

log = logging.getLogger("scheduler.surveys")


def invite(context: Context, now: datetime | None = None) -> Queued:
    now = now or utcnow()
    settings = context.settings
    with context.sessions.begin() as session:
        queued = queue_due(session, settings, now)
    smtp = settings.moderation.smtp
    transport = mailer_for(smtp, settings.path(smtp.sink_path))
    queued.sent, queued.failed = send_due(context.sessions, settings, transport, now)
    return queued


def file_answers(context: Context, now: datetime | None = None) -> int:
    """Each answer in its own transaction: one that cannot be filed (logged) does not hold the others back."""
    now = now or utcnow()
    settings = context.settings
    edit = timedelta(hours=settings.surveys.edit_hours)
    with context.sessions() as session:
        due = [answer.id for answer, _ in due_for_filing(session, edit, now)]
    filed = 0
    for answer_id in due:
        with context.sessions.begin() as session:
            found = [(a, o) for a, o in due_for_filing(session, edit, now) if a.id == answer_id]
            if not found:
                continue  # filed meanwhile by another worker
            answer, order = found[0]
            brand = session.get_one(Brand, order.brand_id)
            source = session.scalar(
                select(Source).where(Source.brand_id == brand.id, Source.name == settings.surveys.source)
            )
            if source is None or source.kind != "survey":
                log.warning(
                    "survey answer %s not filed: brand %s has no survey source %r ([surveys] source)",
                    answer.id,
                    brand.slug,
                    settings.surveys.source,
                )
                continue
            body = json.dumps([export_row(answer, order)]).encode()
            try:
                import_survey_body(
                    session,
                    source.id,
                    body,
                    "survey-form.json",
                    f"{base_url(settings)}/survey/",
                    settings.crawl.pseudonym_secret,
                )
            except SurveyFileError as error:
                log.warning("survey answer %s not filed: %s", answer.id, error)
                continue
            answer.mention_id = session.scalar(
                select(Mention.id).where(
                    Mention.source_id == source.id, Mention.external_id == f"order:{order.order_ref}"
                )
            )
            answer.filed_at = now
            filed += 1
    return filed

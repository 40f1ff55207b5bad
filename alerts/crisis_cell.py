"""The crisis cell: when a crisis alert fires (alerts/crisis_watch.py), a Slack channel of its own (opened, or the
brand's open one reused), the crisis team invited, the evidence posted and pinned, the holding statements offered;
then a timeline of mentions and actions until someone closes it (the channel's button, `veilleur crisis close`).

Two halves, like alerts: `record` writes what should happen in the database (cells, timeline lines, and Slack
steps in an outbox, models/crisis_cells.py); `run_steps` does the due steps through the alert transport
(alerts/transports.py), in order per cell, each claimed by a conditional UPDATE, retried on a 5xx, a 429 or the
network, never done twice: a step tried before is checked first (a post is looked for in the channel by its
metadata; creating, inviting and pinning again answer "done already")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts import crisis_cell_messages as messages
from alerts.send import FIRST_RETRY, RETRY_CEILING, RETRY_WINDOW
from alerts.transports import PermanentFailure, RetryLater, Transport
from models import Alert, AlertKind, Brand, Mention, ModerationEvent, Source
from models.alert_payloads import CrisisPayload
from models.claims import insert_once, serialise
from models.crisis_cells import CellSummary, CrisisCell, CrisisEvent, CrisisStep, summarise
from models.identity import outbox_instance
from models.outbox import Outbox, Retry

CELL_STEPS = Outbox(CrisisStep, sent=CrisisStep.sent_at, failed=CrisisStep.failed_at, lease=timedelta(minutes=5))
# A crisis alert first seen later than this after it was raised opens no cell: on upgrade, last month's crises
# must not open channels today.
HORIZON = timedelta(hours=24)
TIMELINE_BATCH = 1000  # mentions added to one cell's timeline per run: a flood is taken in a few runs
NAME_LIMIT = 80  # Slack's limit on a channel name


class CellTransport(Transport, Protocol):
    """The alert transport, with what a crisis cell also asks of it (alerts/transports.py)."""

    def open_channel(self, name: str) -> str: ...

    def invite(self, channel_id: str, users: list[str]) -> None: ...

    def pin(self, channel_id: str, delivery_ref: str) -> None: ...


@dataclass(frozen=True)
class CellConfig:
    team: list[str] = field(default_factory=list)  # [slack] crisis_team
    statements: dict[str, dict[str, str]] = field(default_factory=dict)  # [crisis] holding_statements
    # [crisis] timeline_minutes: one timeline update at most this often (zero: at every run, each minute).
    timeline_every: timedelta = timedelta(0)


@dataclass
class CellResult:
    opened: int = 0
    joined: int = 0  # crisis alerts added to a brand's cell already open
    timeline: int = 0  # lines added to timelines
    done: int = 0
    retrying: int = 0
    failed: int = 0


class CellNotOpen(Exception):
    """No such cell, or closed already: said to whoever asked, not an error."""


def channel_name(brand_slug: str, day: datetime) -> str:
    """ "crisis-acme-2026-11-25": lower-case letters, digits and hyphens, at most 80 characters (Slack's rules)."""
    ascii_slug = unicodedata.normalize("NFKD", brand_slug).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_slug).strip("-_") or "brand"
    date = f"-{day:%Y-%m-%d}"
    return f"crisis-{slug}"[: NAME_LIMIT - len(date)].rstrip("-_") + date


def record(session: Session, config: CellConfig, now: datetime) -> CellResult:
    """Open a cell for each new crisis alert (or add it to the brand's open cell), and add to each open cell's
    timeline the mentions and moderation actions since. Queues the Slack steps; sends nothing."""
    serialise(session, "crisis-cells")  # two workers must not open two cells for one brand (PostgreSQL)
    result = CellResult()
    linked = select(CrisisEvent.alert_id).where(CrisisEvent.alert_id.is_not(None))
    fresh = session.scalars(
        select(Alert)
        .where(Alert.kind == AlertKind.CRISIS, Alert.created_at >= now - HORIZON, Alert.id.not_in(linked))
        .order_by(Alert.id)
    ).all()
    for alert in fresh:
        cell = session.scalars(select(CrisisCell).where(CrisisCell.open_brand_id == alert.brand_id)).one_or_none()
        crisis = CrisisPayload.from_json(alert.payload)
        if cell is None:
            cell = _open(session, alert, crisis, config, now)
            result.opened += 1
        else:
            _queue(session, cell, "post_alert", str(alert.id))
            result.joined += 1
        session.add(
            CrisisEvent(
                cell_id=cell.id,
                key=f"{cell.id}:alert:{alert.id}",
                kind="alert",
                at=alert.created_at,
                text=crisis.text or crisis.what or "",
                alert_id=alert.id,
            )
        )
    session.flush()
    for cell in session.scalars(select(CrisisCell).where(CrisisCell.open_brand_id.is_not(None))).all():
        result.timeline += _grow_timeline(session, cell)
        _queue_timeline(session, cell, now, config.timeline_every)
    return result


def _queue_timeline(session: Session, cell: CrisisCell, now: datetime, every: timedelta) -> None:
    """Queue an update of the timeline lines not posted yet, unless the last update is more recent than `every`:
    during a crisis mentions come every minute, and an update a minute buries the team's own messages. Lines
    held back are in the next update (each covers the lines after the previous one's last)."""
    posted = session.execute(
        select(CrisisStep.arg, CrisisStep.created_at).where(
            CrisisStep.cell_id == cell.id, CrisisStep.step == "post_timeline"
        )
    ).all()
    after = max((int(arg) for arg, _ in posted if arg), default=0)
    newest = session.scalar(
        select(func.max(CrisisEvent.id)).where(
            CrisisEvent.cell_id == cell.id, CrisisEvent.kind.in_(("mention", "action"))
        )
    )
    if newest is None or newest <= after:
        return
    last = max((at if at.tzinfo else at.replace(tzinfo=UTC) for _, at in posted), default=None)
    if every and last is not None and now - last < every:
        return
    key = f"{cell.id}:post_timeline:{newest}"
    row = {"cell_id": cell.id, "key": key, "step": "post_timeline", "arg": str(newest), "created_at": now}
    insert_once(session, CrisisStep, [row])


def _open(session: Session, alert: Alert, crisis: CrisisPayload, config: CellConfig, now: datetime) -> CrisisCell:
    brand = session.get_one(Brand, alert.brand_id)
    since = _moment(crisis.since) or alert.created_at
    cell = CrisisCell(
        brand_id=brand.id,
        open_brand_id=brand.id,
        channel_name=channel_name(brand.slug, since),
        since=since,
        opened_at=now,
    )
    session.add(cell)
    session.flush()
    _queue(session, cell, "open_channel")
    if config.team:
        _queue(session, cell, "invite")
    _queue(session, cell, "post_evidence", str(alert.id))
    _queue(session, cell, "pin_evidence")
    if config.statements:
        _queue(session, cell, "post_statements")
    return cell


def _moment(iso: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _queue(session: Session, cell: CrisisCell, step: str, arg: str | None = None) -> None:
    insert_once(
        session, CrisisStep, [{"cell_id": cell.id, "key": f"{cell.id}:{step}:{arg or ''}", "step": step, "arg": arg}]
    )


def _grow_timeline(session: Session, cell: CrisisCell) -> int:
    """The brand's mentions since the burst began, and the moderation actions on them since the cell opened,
    not yet on the timeline."""
    when = func.coalesce(Mention.published_at, Mention.collected_at)
    sources = select(Source.id).where(Source.brand_id == cell.brand_id)
    seen = select(CrisisEvent.mention_id).where(CrisisEvent.cell_id == cell.id, CrisisEvent.kind == "mention")
    mentions = session.execute(
        select(Mention.id, when, Source.name, Mention.text)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.source_id.in_(sources), when >= cell.since, Mention.id.not_in(seen))
        .order_by(when, Mention.id)
        .limit(TIMELINE_BATCH)
    ).all()
    rows = [
        {
            "cell_id": cell.id,
            "key": f"{cell.id}:mention:{mention_id}",
            "kind": "mention",
            "at": at if at.tzinfo else at.replace(tzinfo=UTC),
            "text": f"{source}: {text[:300]}",
            "mention_id": mention_id,
            # Every row with the same keys: an insert of many rows takes its columns from the first.
            "actor": None,
            "action": None,
        }
        for mention_id, at, source, text in mentions
    ]
    recorded = set(
        session.scalars(select(CrisisEvent.key).where(CrisisEvent.cell_id == cell.id, CrisisEvent.kind == "action"))
    )
    actions = session.execute(
        select(ModerationEvent)
        .join(Mention, Mention.id == ModerationEvent.mention_id)
        .where(Mention.source_id.in_(sources), ModerationEvent.at >= cell.opened_at)
        .order_by(ModerationEvent.id)
    ).scalars()
    for event in actions:
        key = f"{cell.id}:action:{event.id}"
        if key not in recorded:
            rows.append(
                {
                    "cell_id": cell.id,
                    "key": key,
                    "kind": "action",
                    "at": event.at,
                    "actor": event.actor,
                    "action": event.action,
                    "text": f"{event.actor} {event.action} mention {event.mention_id}: {event.reason[:200]}",
                    "mention_id": event.mention_id,
                }
            )
    insert_once(session, CrisisEvent, rows)
    return len(rows)


def close(session: Session, cell_id: int, actor: str, now: datetime) -> CellSummary:
    """Close the cell: its timeline stops, the summary is posted in the channel and goes to the reports."""
    cell = session.get(CrisisCell, cell_id, with_for_update=True)
    if cell is None:
        raise CellNotOpen(f"no crisis cell {cell_id}")
    if cell.closed_at is not None:
        raise CellNotOpen(
            f"crisis {cell_id} was closed already by {cell.closed_by} at {cell.closed_at:%Y-%m-%d %H:%M} UTC"
        )
    _grow_timeline(session, cell)  # what came in since the last run belongs to this crisis
    _queue_timeline(session, cell, now, timedelta(0))  # the lines held back are posted before the summary
    cell.closed_at, cell.closed_by, cell.open_brand_id = now, actor, None
    session.add(
        CrisisEvent(cell_id=cell.id, key=f"{cell.id}:closed", kind="closed", at=now, actor=actor, text="closed")
    )
    _queue(session, cell, "post_closed")
    session.flush()
    return summarise(session, cell, now)


def close_from_slack(session: Session, cell_id: int, actor: str, value: str | None) -> str:
    """The channel's "Close crisis" button (web/slack.py's handler signature)."""
    from alerts.slack_actions import ActionRefused

    try:
        summary = close(session, cell_id, actor, datetime.now(UTC))
    except CellNotOpen as refusal:
        raise ActionRefused(str(refusal)) from None
    return f"Crisis closed after {summary.duration.total_seconds() / 3600:.1f} h"


def handlers() -> dict[str, Callable[[Session, int, str, str | None], str]]:
    return {messages.CLOSE_ACTION: close_from_slack}


def run_steps(
    sessions: sessionmaker[Session],
    transport: CellTransport,
    config: CellConfig,
    worker: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    retry: Retry | None = None,
    result: CellResult | None = None,
) -> CellResult:
    """Do every due step, in order within each cell: a step waits until the one before it is done (or failed for
    good: a wrong user id must not keep the evidence from being pinned)."""
    retry = retry or Retry(FIRST_RETRY, RETRY_CEILING, RETRY_WINDOW)
    result = result or CellResult()
    with sessions.begin() as session:
        pending = session.execute(
            select(CrisisStep.id, CrisisStep.cell_id)
            .where(CrisisStep.sent_at.is_(None), CrisisStep.failed_at.is_(None))
            .order_by(CrisisStep.id)
        ).all()
    per_cell: dict[int, list[int]] = {}
    for step_id, cell_id in pending:
        per_cell.setdefault(cell_id, []).append(step_id)
    for steps in per_cell.values():
        for step_id in steps:
            if not _run(sessions, transport, config, step_id, worker, clock, retry, result):
                break  # not due yet, held by another worker, or it failed this time: the next ones wait
    return result


def _run(
    sessions: sessionmaker[Session],
    transport: CellTransport,
    config: CellConfig,
    step_id: int,
    worker: str,
    clock: Callable[[], datetime],
    retry: Retry,
    result: CellResult,
) -> bool:
    """One step: claimed, done, recorded. True when it is over (done or failed for good)."""
    with sessions.begin() as session:
        # None: not due yet (waiting after a failure), or another worker holds it.
        step = CELL_STEPS.claim(session, step_id, clock(), worker)
        if step is None:
            return False
        cell = session.get_one(CrisisCell, step.cell_id)
        action = _action(session, transport, config, step, cell)
    try:
        outcome: str | RetryLater | PermanentFailure = action()
    except (RetryLater, PermanentFailure) as error:
        outcome = error
    with sessions.begin() as session:
        step = session.get_one(CrisisStep, step_id)
        now = clock()
        if isinstance(outcome, str):
            CELL_STEPS.mark_sent(step, now)
            step.result = outcome[:200]
            cell = session.get_one(CrisisCell, step.cell_id)
            if step.step == "open_channel":
                cell.channel_id = outcome
            elif step.step == "post_evidence":
                cell.evidence_ref = outcome
            result.done += 1
            return True
        if isinstance(outcome, PermanentFailure):
            CELL_STEPS.mark_failed(step, now, str(outcome))
            result.failed += 1
            return True
        if "429" in outcome.reason:  # says itself how long to wait, and costs no attempt
            step.attempts -= 1
            CELL_STEPS.mark_retry(step, now, outcome.delay, str(outcome))
        elif retry.gives_up(step.attempts, step.created_at, now):
            CELL_STEPS.mark_failed(step, now, f"gave up after {step.attempts} attempts: {outcome}")
            result.failed += 1
            return True
        else:
            CELL_STEPS.mark_retry(step, now, retry.delay(step.attempts), str(outcome))
        result.retrying += 1
        return False


def _action(
    session: Session, transport: CellTransport, config: CellConfig, step: CrisisStep, cell: CrisisCell
) -> Callable[[], str]:
    """What the step does, as a call made after the claim's transaction: the message is built from the database
    now, sent after."""
    if step.step == "open_channel":
        name = cell.channel_name
        return lambda: transport.open_channel(name)
    channel = cell.channel_id
    if channel is None:
        return _refuse("the crisis channel could not be opened: see the open_channel step's error")
    if step.step == "invite":
        team = list(config.team)

        def invite() -> str:
            transport.invite(channel, team)
            return ",".join(team)

        return invite
    if step.step == "pin_evidence":
        ref = cell.evidence_ref
        if ref is None:
            return _refuse("the evidence was not posted: nothing to pin")
        pinned = ref

        def pin() -> str:
            transport.pin(channel, pinned)
            return pinned

        return pin
    message = _message(session, config, step, cell)
    instance = f"{outbox_instance(session)}:crisis"  # this database's crisis steps, apart from its alerts
    message["metadata"] = {
        "event_type": "veilleur_crisis_cell",
        "event_payload": {"outbox": instance, "alert_ids": [step.id]},  # read back by transport.posted
    }
    retaken, since = step.attempts > 1, step.created_at

    def post() -> str:
        if retaken:  # tried before: its answer may have been lost after Slack posted it
            found = transport.posted(channel, instance, [step.id], since)
            if found:
                return found[step.id]
        # alert_id 0: no alert has it, so an erasure's rewrite (by alert id, in the sink) never touches this post.
        return transport.deliver(channel, message, 0, retaken)

    return post


def _refuse(reason: str) -> Callable[[], str]:
    def refuse() -> str:
        raise PermanentFailure(reason)

    return refuse


def _message(session: Session, config: CellConfig, step: CrisisStep, cell: CrisisCell) -> dict[str, Any]:
    brand = session.get_one(Brand, cell.brand_id)
    if step.step in ("post_evidence", "post_alert"):
        alert = session.get_one(Alert, int(step.arg or 0))
        crisis = CrisisPayload.from_json(alert.payload)
        if step.step == "post_alert":
            return messages.another_alert(crisis)
        return messages.evidence(brand.name, cell.id, crisis)
    if step.step == "post_statements":
        return messages.statements(config.statements)
    if step.step == "post_closed":
        return messages.closed(summarise(session, cell, cell.closed_at or datetime.now(UTC)))
    if step.step == "post_timeline":
        return _timeline(session, step, cell)
    raise PermanentFailure(f"unknown crisis cell step {step.step!r}")


def _timeline(session: Session, step: CrisisStep, cell: CrisisCell) -> dict[str, Any]:
    """The timeline lines after the previous update's last one, up to this update's."""
    earlier = session.scalars(
        select(CrisisStep.arg).where(
            CrisisStep.cell_id == cell.id, CrisisStep.step == "post_timeline", CrisisStep.id < step.id
        )
    ).all()
    after = max((int(arg) for arg in earlier if arg), default=0)
    events = session.scalars(
        select(CrisisEvent)
        .where(
            CrisisEvent.cell_id == cell.id,
            CrisisEvent.id > after,
            CrisisEvent.id <= int(step.arg or 0),
            CrisisEvent.kind.in_(("mention", "action")),
        )
        .order_by(CrisisEvent.id)
    ).all()
    ids = [e.mention_id for e in events if e.kind == "mention" and e.mention_id is not None]
    found = {m.id: m for m in session.scalars(select(Mention).where(Mention.id.in_(ids)))}
    mentions = [(found[i].text, found[i].reach, found[i].url) for i in ids if i in found]
    actions = [e.text for e in events if e.kind == "action"]
    return messages.timeline(mentions, actions)


def tick(
    sessions: sessionmaker[Session],
    transport: CellTransport,
    config: CellConfig,
    worker: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    retry: Retry | None = None,
) -> CellResult:
    """The worker's job: record what happened, then do the due Slack steps."""
    with sessions.begin() as session:
        result = record(session, config, clock())
    return run_steps(sessions, transport, config, worker, clock, retry, result)

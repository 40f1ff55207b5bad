"""Console actions, each a call to moderation/workflow.py (as Slack buttons and the CLI do), audited with
`console:<user>` as the actor. Nothing here deletes: rejection and withdrawal keep the row and its reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import Mention, MentionStatus, RejectionReason
from moderation import workflow
from moderation.workflow import BulkResult, WorkflowError
from web.console.auth import User
from web.console.review import last_action

ACTIONS = ("approve", "reject", "reply", "assign", "handled", "correct")
BULK_ACTIONS = ("approve", "reject", "handled")
# What a queue's page offers for its rows and its selection: only what can take a review out of that queue.
QUEUE_ACTIONS = {
    "to_publish": ("approve", "reject"),
    "to_reply": ("handled",),
    "flagged": ("handled",),
    "rejected": (),
    "published": (),  # a withdrawal is one review at a time, from its page, confirmed
    "off_topic": ("relevant",),  # its own route (web/console/handlers/relevance.py), not /bulk
}
# The most reviews one action on "all matching" takes: their ids are kept in the session cookie for undo, and a
# browser drops a cookie over 4 kB. The flash says how many are left.
MATCHING_LIMIT = 200
DONE = {"approve": "approved", "reject": "rejected", "handled": "marked handled"}
REASONS = tuple(RejectionReason)  # the menus show each one's `label_en` (models/reasons.py)


class Refused(Exception):
    """The user may not do this (role), or the form is incomplete."""


def reason_of(value: str | None) -> RejectionReason:
    try:
        return RejectionReason(value or "")
    except ValueError:
        raise Refused("choose a rejection reason from the list") from None


def one(session: Session, user: User, mention_id: int, action: str, form: Mapping[str, str]) -> str:
    """Do `action` on one mention; returns what to tell the user. WorkflowError when it does not apply."""
    if action not in ACTIONS:
        raise Refused(f"unknown action {action!r}")
    return _action(session, user, action, form)(mention_id)


def many(
    session: Session, user: User, mention_ids: list[int], action: str, form: Mapping[str, str], queue: str = ""
) -> BulkResult:
    """`action` on each mention; with `queue` (the page it was posted from), only what that queue offers."""
    if action not in BULK_ACTIONS:
        raise Refused(f"{action!r} cannot be applied to a selection")
    if queue and action not in QUEUE_ACTIONS.get(queue, ()):
        raise Refused(f"{action!r} is not an action of the {queue} queue")
    # No confirmation step for a selection: a published review in it is refused, not withdrawn.
    return workflow.bulk(session, mention_ids, _action(session, user, action, {**form, "confirm": ""}))


def to_confirm(session: Session, user: User, mention_id: int, action: str, form: Mapping[str, str]) -> bool:
    """Whether this action needs the user's confirmation first: an admin withdrawing a published review (the
    brand's site drops it and its author is told). Not for a moderator: they are refused anyway."""
    if action != "reject" or form.get("confirm") == "withdraw" or not user.can("admin"):
        return False
    mention = session.get(Mention, mention_id)
    return mention is not None and mention.status == MentionStatus.PUBLISHED


def _action(session: Session, user: User, action: str, form: Mapping[str, str]) -> Callable[[int], str]:
    actor = user.actor
    if action == "approve":
        return lambda mention_id: _done(workflow.approve(session, mention_id, actor), "approved")
    if action == "reject":
        reason = reason_of(form.get("reason"))
        note = form.get("note", "").strip()[:500]
        confirmed = form.get("confirm") == "withdraw"

        def reject(mention_id: int) -> str:
            mention = session.get(Mention, mention_id)
            if mention is not None and mention.status == MentionStatus.PUBLISHED:
                if not user.can("admin"):
                    # Withdrawing a published review is an admin's call.
                    raise WorkflowError(f"mention {mention_id} is published: only an admin may withdraw it")
                if not confirmed:
                    raise WorkflowError(f"mention {mention_id} is published: withdraw it from its page (confirmed)")
            return _done(workflow.reject(session, mention_id, actor, reason, note), f"rejected ({reason.value})")

        return reject
    if action == "reply":
        text = form.get("text", "")
        return lambda mention_id: _done(workflow.reply(session, mention_id, actor, text), "reply saved")
    if action == "assign":
        assignee = form.get("assignee", "").strip()[:200] or user.name
        return lambda mention_id: _done(
            workflow.assign(session, mention_id, actor, assignee), f"assigned to {assignee}"
        )
    if action == "handled":
        return lambda mention_id: _done(workflow.mark_handled(session, mention_id, actor), "marked handled")
    task, label = form.get("task", ""), form.get("label", "")

    def correct(mention_id: int) -> str:
        workflow.correct(session, mention_id, actor, task, label)
        return f"#{mention_id}: correction saved ({task} is {label})"

    return correct


def _done(mention: Mention, what: str) -> str:
    return f"#{mention.id} {what}"


def undo(session: Session, user: User, mention_ids: list[int], window: timedelta, now: datetime) -> BulkResult:
    """Put back the user's last action on each mention; a moderator cannot undo what someone did after them."""

    def one_undo(mention_id: int) -> None:
        last = last_action(session, mention_id)
        if last is not None and last.actor != user.actor and not user.can("admin"):
            raise WorkflowError(f"mention {mention_id}: {last.actor} acted on it since; not undone")
        workflow.undo(session, mention_id, user.actor, window, now)

    return workflow.bulk(session, list(reversed(mention_ids)), one_undo)

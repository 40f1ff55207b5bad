"""Slack button actions, mapped to the moderation workflow: the same functions the CLI calls."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from config.people import People
from models import RejectionReason

# action_id -> handler(session, mention_id, actor, value) -> a short sentence for the message ("Approved")
Handler = Callable[[Session, int, str, str | None], str]


class ActionRefused(Exception):
    """The workflow refused the action (wrong state, already done): told to the user, not an error."""


def workflow_handlers(people: People | None = None) -> dict[str, Handler]:
    """The workflow's actions by action_id. `people`: whose account a Slack user is, so an assignment from Slack
    is stored under the name the console and the CLI know (config/people.py)."""
    from moderation import workflow

    people = people or People()

    def refusing(function: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            try:
                return function(*args, **kwargs)
            except workflow.WorkflowError as error:
                raise ActionRefused(str(error)) from None

        return call

    def approve(session: Session, mention_id: int, actor: str, value: str | None) -> str:
        refusing(workflow.approve)(session, mention_id, actor)
        return "Approved for publication"

    def reject(session: Session, mention_id: int, actor: str, value: str | None) -> str:
        try:
            reason = RejectionReason(value or "")
        except ValueError:
            raise ActionRefused(f"unknown rejection reason {value!r}") from None
        refusing(workflow.reject)(session, mention_id, actor, reason)
        return f"Rejected ({reason.value})"

    def assign_to(session: Session, mention_id: int, actor: str, value: str | None) -> str:
        # value: the Slack user picked in the menu, or who clicked "Assign to me" (web/slack.py puts it there and
        # says who in the message). Stored under the account that names that user, as the console knows it.
        if not value:  # from a signed request (web/slack.py checked its length): Slack's word on who
            raise ActionRefused("no Slack user to assign to")
        refusing(workflow.assign)(session, mention_id, actor, people.name(value))
        return "Assigned"

    def mark_handled(session: Session, mention_id: int, actor: str, value: str | None) -> str:
        refusing(workflow.mark_handled)(session, mention_id, actor)
        return "Marked handled"

    return {
        "approve": approve,
        "reject": reject,
        "assign_me": assign_to,
        "assign_to": assign_to,
        "mark_handled": mark_handled,
    }

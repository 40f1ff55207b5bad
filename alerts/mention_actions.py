"""The buttons of an alert about one mention, as Block Kit elements: which ones is the kind's registry entry and
the mention's subject (models/alert_kinds.py); what a click does is alerts/slack_actions.py. Pure, but for
`subjects`, which reads what each mention is from the database when a message is built.

A button's value starts with the mention id ("7", "7:spam"): web/slack.py reads it from there. "Assign to…"
is a users menu, which has no value: its action_id carries the mention ("assign_to:7") and Slack sends the
chosen user. A grouped message gives each item one menu (action_id "item") whose option values also name the
action ("7:approve", "7:reject:spam"), so one element per line keeps a group of 48 within Slack's 50 blocks.
A group's lines offer "Assign to me" but no users menu: a section holds one element, so a users menu per line
would take a second block per line and halve what a group shows; each line's console link (and the alert
alone, with `[slack] group_max = 1`) assigns to anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from slack_sdk.models.blocks import (
    ButtonElement,
    Option,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.mrkdwn import link, link_url
from alerts.wording import Setting
from config.sources import yields_posts
from models import AlertKind, Mention, MentionKind, RejectionReason, Source
from models.alert_kinds import ALERT_KINDS, LINKS, Button, Subject
from models.alert_payloads import MentionPayload
from models.urls import QUEUE_IDS_LIMIT

ITEM = "item"  # the action_id of a group line's menu
OPTION_LIMIT = 75  # characters in an option's text (Block Kit)
LABELS = {
    Button.APPROVE: "Approve",
    Button.REJECT: "Reject: reason…",
    Button.REPLY: "Reply…",
    Button.REPLY_ON_PLATFORM: "Reply on the platform",
    Button.ASSIGN: "Assign to me",
    Button.ASSIGN_TO: "Assign to…",
    Button.MARK_HANDLED: "Mark handled",
    Button.OPEN_SOURCE: "Open source",
    Button.OPEN_CONSOLE: "Open in console",
}


def subjects(session: Session, mention_ids: Iterable[int]) -> dict[int, str]:
    """What each mention is, for its buttons: the brand's own review with consent (it may be published), a
    review it cannot publish, or a post."""
    ids = sorted(set(mention_ids))
    if not ids:
        return {}
    found: dict[int, str] = {}
    rows = session.execute(
        select(Mention.id, Mention.kind, Mention.consent, Source.own)
        .join(Source, Mention.source_id == Source.id)
        .where(Mention.id.in_(ids))
    )
    for mention_id, kind, consent, own in rows:
        if kind == MentionKind.POST:
            found[mention_id] = Subject.POST
        else:
            found[mention_id] = Subject.OWN_REVIEW if own and consent else Subject.REVIEW
    return found


def subject_of(kind: AlertKind, facts: MentionPayload, setting: Setting) -> Subject:
    """As the database said; for a message built without it, from the alert's kind when it tells, else from the
    source's kind, never an own review (its buttons would act on a review that may not be ours to publish)."""
    told = setting.subjects.get(facts.mention_id or 0)
    if told in set(Subject):
        return Subject(told)
    about = ALERT_KINDS[kind].about
    if about is not None:
        return about
    return Subject.POST if yields_posts(str(facts.source_kind or "")) else Subject.REVIEW


def _urls(facts: MentionPayload) -> dict[Button, str | None]:
    # Not a safe http(s) url, or one longer than Slack takes (a cut one leads nowhere): no button; the quote and
    # the console still serve.
    source = link_url(facts.url)
    console = link_url(facts.console_url) if facts.mention_id else None
    return {Button.REPLY_ON_PLATFORM: source, Button.OPEN_SOURCE: source, Button.OPEN_CONSOLE: console}


Element = ButtonElement | StaticSelectElement | UserSelectElement


def buttons(kind: AlertKind, facts: MentionPayload, setting: Setting) -> list[Element]:
    """The elements of a message about one mention, in the subject's order."""
    if not facts.mention_id:
        return []
    urls = _urls(facts)
    mention = str(facts.mention_id)
    elements: list[Element] = []
    for button in ALERT_KINDS[kind].actions(subject_of(kind, facts, setting)):
        if button in LINKS:
            if urls[button]:
                elements.append(_button(button, url=urls[button]))
        elif button == Button.REJECT:
            elements.append(reject_menu(facts.mention_id))
        elif button == Button.ASSIGN_TO:
            elements.append(assign_menu(facts.mention_id))
        else:
            style = "primary" if button == Button.APPROVE else None
            elements.append(_button(button, value=mention, style=style))
    return elements


def _button(
    button: Button, value: str | None = None, url: str | None = None, style: str | None = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=LABELS[button]), action_id=button.value, value=value, url=url, style=style
    )


def reject_menu(mention_id: int) -> StaticSelectElement:
    """Reject with one of the reasons of models/reasons.py, labelled as the console labels them."""
    return StaticSelectElement(
        action_id=Button.REJECT.value,
        placeholder=PlainTextObject(text=LABELS[Button.REJECT]),
        options=[
            Option(text=PlainTextObject(text=reason.label_en), value=f"{mention_id}:{reason.value}")
            for reason in RejectionReason
        ],
    )


def assign_menu(mention_id: int) -> UserSelectElement:
    """Assign to a teammate picked among the workspace's users (Slack lists them: nothing to keep in sync)."""
    return UserSelectElement(
        action_id=assign_action_id(mention_id), placeholder=PlainTextObject(text=LABELS[Button.ASSIGN_TO])
    )


def assign_action_id(mention_id: int) -> str:
    return f"{Button.ASSIGN_TO.value}:{mention_id}"


def item_menu(kind: AlertKind, facts: MentionPayload, setting: Setting) -> StaticSelectElement | None:
    """A group line's actions as one menu ("7:approve", "7:reject:spam"); None when it has none to answer."""
    if not facts.mention_id:
        return None
    mention = facts.mention_id
    options: list[Option] = []
    # The reasons last: a long list that would push the other actions out of sight.
    actions = sorted(
        ALERT_KINDS[kind].actions(subject_of(kind, facts, setting)), key=lambda button: button == Button.REJECT
    )
    for button in actions:
        if button in LINKS:
            continue  # links are in the line itself
        if button == Button.ASSIGN_TO:
            continue  # a users menu is an element of its own, which a group's line has no room for (see above)
        if button == Button.REJECT:
            options += [
                Option(
                    text=PlainTextObject(text=f"Reject: {reason.label_en}"[:OPTION_LIMIT]),
                    value=_item(mention, f"reject:{reason.value}"),
                )
                for reason in RejectionReason
            ]
        else:
            options.append(Option(text=PlainTextObject(text=LABELS[button]), value=_item(mention, button.value)))
    if not options:
        return None
    return StaticSelectElement(action_id=ITEM, placeholder=PlainTextObject(text="Act…"), options=options)


def _item(mention_id: int, action: str) -> str:
    return f"{mention_id}:{action}"


def item_links(kind: AlertKind, facts: MentionPayload, setting: Setting) -> list[str]:
    """A group line's links (mrkdwn of our own, the urls made safe): where to reply or read it, the console."""
    actions = ALERT_KINDS[kind].actions(subject_of(kind, facts, setting))
    urls = _urls(facts)
    shown = [link(urls[Button.OPEN_SOURCE], "link")]  # where to read it, and to reply when it is a review elsewhere
    if Button.OPEN_CONSOLE in actions:
        shown.append(link(urls[Button.OPEN_CONSOLE], "console"))
    return [text for text in shown if text]


def console_queue_url(kind: AlertKind, items: list[MentionPayload], brand_slug: str) -> tuple[str, bool] | None:
    """The console queue page that shows these alerts' mentions, and whether it shows exactly them: what
    "Open these N in the console" leads to. Exact: their ids in the address (`?ids=12,15,19`; the console shows
    those still in the queue). When the ids do not fit (more than QUEUE_IDS_LIMIT, or a button's url limit), the
    queue filtered to the brand (and the source when they share one), which may hold more. The console's
    address is the one each alert links its review with (`[serve] public_url`, put in the payload by the
    router); none, no link."""
    queue = ALERT_KINDS[kind].queue
    reviews = [url for facts in items if (url := link_url(facts.console_url)) and "/review/" in url]
    if not queue or not reviews:
        return None
    console = reviews[0].rsplit("/review/", 1)[0]
    sources = {facts.source for facts in items}
    query = {"brand": brand_slug, "source": sources.pop() if len(sources) == 1 else None}
    pairs = urlencode({key: value for key, value in query.items() if value})
    whole = link_url(f"{console}/queue/{queue}" + (f"?{pairs}" if pairs else ""))
    ids = list(dict.fromkeys(facts.mention_id for facts in items if facts.mention_id))
    if ids and len(ids) <= QUEUE_IDS_LIMIT:
        exact = link_url(f"{console}/queue/{queue}?" + urlencode({"ids": ",".join(map(str, ids))}, safe=","))
        if exact:  # None past a button's url limit
            return exact, True
    return (whole, False) if whole else None

"""Build Slack messages (Block Kit) from an alert's stored facts. Pure: no I/O, tested on its JSON."""

from __future__ import annotations

from typing import Any

from config.sources import reach_unit
from models import AlertKind, RejectionReason

_TITLES = {
    AlertKind.NEGATIVE_MENTION: ":warning: Negative mention",
    AlertKind.ABUSE: ":no_entry: Abusive post",
    AlertKind.REVIEW_TO_ANSWER: ":speech_balloon: Negative review to answer",
    AlertKind.SOURCE_UNHEALTHY: ":rotating_light: Source unhealthy",
    AlertKind.CRISIS: ":fire: Crisis",
    AlertKind.DIGEST: ":newspaper: Digest",
    AlertKind.REPLY_DUE: ":alarm_clock: Reply due",
    AlertKind.LOW_PRODUCT_RATING: ":package: Low product rating",
}
ERASED = "removed: the person asked for their data to be erased"
_QUOTE_LIMIT = 2500  # Slack section text is capped at 3000 characters; the link leads to the whole text


def escape(text: str) -> str:
    """Slack mrkdwn control characters: &, < and > (so '<!channel>' in a review cannot ping anyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quote(text: str) -> str:
    shown = text if len(text) <= _QUOTE_LIMIT else text[:_QUOTE_LIMIT] + " … (cut here; full text at the link)"
    return "\n".join("> " + line for line in escape(shown).splitlines() or [""])


def build_message(kind: AlertKind, brand: str, payload: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """The keyword arguments of chat.postMessage, minus the channel; for a report, its files and their comment."""
    if kind == AlertKind.DIGEST:
        return build_digest_message(brand, payload, alert_id)
    if kind == AlertKind.REPORT:  # files to upload, the summary as their comment
        return {"text": payload["text"], "files": list(payload["files"])}
    if payload.get("erased"):
        text = f"Alert #{alert_id} ({escape(brand)}) {ERASED}."
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    title = f"{_TITLES.get(kind, kind.value)} · {escape(brand)}"
    why = payload.get("why", {})
    fields = [f"*Source:* {escape(str(payload.get('source', '?')))}"]
    if payload.get("topic"):
        fields.append(f"*Topic:* {escape(str(payload['topic']))}")
    if payload.get("rating") is not None:
        fields.append(f"*Rating:* {payload['rating']:g}/{payload.get('rating_best') or 5:g}")
    if payload.get("reach") is not None:  # how far a post went: the first question about a negative one
        unit = reach_unit(str(payload.get("source_kind")))
        fields.append(f"*Reach:* {payload['reach']:,} {unit}".rstrip())
    if payload.get("language"):
        fields.append(f"*Language:* {payload['language']}")
    if payload.get("reply_due"):
        fields.append(f"*Answer by:* {payload['reply_due'][:16].replace('T', ' ')} UTC")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": field} for field in fields]},
    ]
    body = payload.get("text") or ""
    if payload.get("title"):
        body = f"{payload['title']}\n{body}"
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _quote(body)}})
    for mention in payload.get("top_mentions", [])[:3]:
        line = _quote(mention.get("text") or "")
        if mention.get("url"):
            line += f"\n<{escape(mention['url'])}|source>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    author = payload.get("author")
    if author:
        lines = [f"*Author:* {escape(str(author.get('display_name') or '?'))} (`{author.get('handle')}`)"]
        lines += [f":mag: {escape(signal)}" for signal in author.get("signals", [])]
        for post in author.get("recent", [])[:3]:
            lines.append(
                f"• {escape(str(post['source']))} {post['at'][:16]} ({post['status']}): {escape(post['text'][:120])}"
            )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    if why:
        reason = escape(str(why.get("reason", "")))
        score = why.get("score")
        threshold = why.get("threshold")
        numbers = f", score {score:.2f} vs threshold {threshold}" if score is not None and threshold is not None else ""
        detail = f"*Why:* {reason} (rule `{why.get('rule')}`{numbers}, model `{escape(str(why.get('model', '')))}`)"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": detail}]})
    actions = moderation_buttons(payload) if payload.get("mention_id") else []
    if payload.get("url"):
        actions.append(_button("Open source", "open_source", url=payload["url"]))
    if payload.get("console_url") and payload.get("mention_id"):
        actions.append(_button("Open in console", "open_console", url=payload["console_url"]))
    if actions:
        blocks.append({"type": "actions", "block_id": f"mention:{payload.get('mention_id', 0)}", "elements": actions})
    fallback = f"{_TITLES.get(kind, kind.value)} ({brand}): {body[:200]}"
    return {
        "text": fallback,
        "blocks": blocks,
        # Lets a restarted sender find out whether Slack already has this alert (see alerts/send.py).
        "metadata": {"event_type": "veilleur_alert", "event_payload": {"alert_id": alert_id}},
        "unfurl_links": False,
    }


def _button(
    text: str, action_id: str, value: str | None = None, url: str | None = None, style: str | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}
    if value is not None:
        button["value"] = value
    if url is not None:
        button["url"] = url
    if style is not None:
        button["style"] = style
    return button


def moderation_buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Approve, reject with a reason, assign to me, mark handled: each calls the moderation workflow."""
    mention = str(payload["mention_id"])
    return [
        _button("Approve", "approve", mention, style="primary"),
        {
            "type": "static_select",
            "action_id": "reject",
            "placeholder": {"type": "plain_text", "text": "Reject: reason…"},
            "options": [
                {"text": {"type": "plain_text", "text": reason.label_en}, "value": f"{mention}:{reason.value}"}
                for reason in RejectionReason
            ],
        },
        _button("Assign to me", "assign_me", mention),
        _button("Mark handled", "mark_handled", mention),
    ]


_PLURALS = {
    AlertKind.NEGATIVE_MENTION: "negative mentions",
    AlertKind.ABUSE: "abusive posts",
    AlertKind.REVIEW_TO_ANSWER: "negative reviews to answer",
    AlertKind.REPLY_DUE: "replies due",
}


def _summary_line(payload: dict[str, Any]) -> str:
    if payload.get("erased"):
        return f"_{ERASED}_"
    rating = f" {payload['rating']:g}/{payload.get('rating_best') or 5:g}" if payload.get("rating") is not None else ""
    body = (f"{payload['title']}. " if payload.get("title") else "") + (payload.get("text") or "")
    shown = body if len(body) <= 280 else body[:280] + " …"
    link = f" <{escape(payload['url'])}|link>" if payload.get("url") else ""
    return f"*{escape(str(payload.get('source', '?')))}*{rating}{link}\n" + _quote(shown)


def build_group_message(kind: AlertKind, brand: str, items: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """Several alerts of one kind for one brand, due together, as one message (alert fatigue)."""
    label = _PLURALS.get(kind, kind.value)
    title = f"{_TITLES.get(kind, kind.value).split(' ', 1)[0]} {len(items)} {label} · {escape(brand)}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _summary_line(payload)}} for _, payload in items]
    return {
        "text": f"{len(items)} {label} ({brand})",
        "blocks": blocks[:50],  # Slack's limit per message
        "metadata": {
            "event_type": "veilleur_alert",
            "event_payload": {"alert_id": items[0][0], "alert_ids": [i for i, _ in items]},
        },
        "unfurl_links": False,
    }


def build_digest_message(brand: str, payload: dict[str, Any], alert_id: int) -> dict[str, Any]:
    counts = ", ".join(f"{count} {_PLURALS.get(AlertKind(kind), kind)}" for kind, count in payload["counts"].items())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{_TITLES[AlertKind.DIGEST]} · {brand}"[:150]}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": escape(payload["text"]) + (f"\n{counts}" if counts else "")},
        },
    ]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": _summary_line(item)}} for item in payload["items"][:20]
    ]
    return {
        "text": f"Digest ({brand}): {payload['text']}",
        "blocks": blocks[:50],
        "unfurl_links": False,
        "metadata": {"event_type": "veilleur_alert", "event_payload": {"alert_id": alert_id}},
    }

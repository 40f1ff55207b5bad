"""What the crisis cell posts in its channel (alerts/crisis_cell.py), built here and sent there. Pure: every text
from outside goes through alerts/mrkdwn.py; plain dicts of Block Kit, as slack-sdk sends them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerts.mrkdwn import FALLBACK_LIMIT, SECTION_LIMIT, cap, escape, link, quote, short
from models.alert_payloads import CrisisPayload
from models.crisis_cells import CellSummary, duration_words

CLOSE_ACTION = "close_crisis"  # the button's action_id; web/slack.py hands its clicks to close_from_slack
TOP_SHOWN = 3
TIMELINE_SHOWN = 5  # mentions quoted in one timeline update: the most reached; the rest are counted


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cap(text, SECTION_LIMIT)}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def _percent(share: float | None) -> str:
    return "?" if share is None else f"{share:.0%}"


def evidence(brand: str, cell_id: int, crisis: CrisisPayload) -> dict[str, Any]:
    """The message pinned in the channel: what rose and how much against usual, since when, the mentions that
    reached most people, the negative share then and before; and the button that closes the crisis."""
    about = crisis.topic and f"topic {crisis.topic}" or crisis.source or "all sources"
    lines = [f"*What rose:* {short(crisis.what or 'mentions')} on {short(about)}"]
    if crisis.ratio is not None and crisis.expected is not None:
        usual = f" usual for {short(crisis.usual_for)}" if crisis.usual_for else ""
        lines.append(f"*How much:* {crisis.count} mentions against {crisis.expected:g}{usual} ({crisis.ratio:g}x)")
    if crisis.since:
        lines.append(f"*Since:* {short(crisis.since[:16].replace('T', ' '))} UTC")
    if crisis.negative_share is not None:
        lines.append(
            f"*Negative share:* {_percent(crisis.negative_share)} now,"
            f" {_percent(crisis.negative_share_before)} the days before"
        )
    if crisis.text:
        lines.append(f"_{short(crisis.text, 500)}_")
    blocks = [_header(f"🔥 Crisis cell: {brand}"), _section("\n".join(lines))]
    for n, top in enumerate(crisis.top_mentions[:TOP_SHOWN], start=1):
        reach = f" (reach {top.reach:,})" if top.reach is not None else ""
        opened = link(top.url, "open")
        blocks.append(_section(f"*{n}.*{reach} {opened}\n{quote(top.text or '', 1500)}"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": CLOSE_ACTION,
                    "value": str(cell_id),
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Close crisis"},
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Close this crisis?"},
                        "text": {
                            "type": "plain_text",
                            "text": "The timeline stops and the summary goes to the reports.",
                        },
                        "confirm": {"type": "plain_text", "text": "Close"},
                        "deny": {"type": "plain_text", "text": "Keep open"},
                    },
                }
            ],
        }
    )
    text = short(f"Crisis cell for {brand}: {crisis.what or 'mentions'} rose on {about}", FALLBACK_LIMIT)
    return {"text": text, "blocks": blocks}


def statements(templates: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The brand's holding statements, per language, as reply templates to copy."""
    blocks = [
        _header("Holding statements"),
        _section("Reply templates agreed in advance: copy one, adapt it, agree on it here before posting."),
    ]
    for language, texts in sorted(templates.items()):
        for name, text in texts.items():
            blocks.append(_section(f"*{short(language)} · {short(name)}*\n{quote(text, 2800)}"))
    return {"text": "Holding statements (reply templates)", "blocks": blocks[:50]}


def another_alert(crisis: CrisisPayload) -> dict[str, Any]:
    about = crisis.topic and f"topic {crisis.topic}" or crisis.source or "all sources"
    line = f":fire: Another crisis alert joined this cell: {short(crisis.what or 'mentions')} on {short(about)}"
    if crisis.text:
        line += f"\n_{short(crisis.text, 500)}_"
    return {"text": short(f"Another crisis alert: {about}", FALLBACK_LIMIT), "blocks": [_section(line)]}


def timeline(mentions: Sequence[tuple[str, int | None, str | None]], actions: Sequence[str]) -> dict[str, Any]:
    """An update of the timeline: `mentions` as (text, reach, url), `actions` as lines already written by us
    from stored values (escaped here all the same)."""
    reach = sum(r or 0 for _, r, _ in mentions)
    head = f"*Timeline:* {len(mentions)} new mention(s), reach {reach:,}; {len(actions)} action(s)"
    blocks = [_section(head)]
    for text, mention_reach, url in sorted(mentions, key=lambda m: -(m[1] or 0))[:TIMELINE_SHOWN]:
        shown = f" (reach {mention_reach:,})" if mention_reach is not None else ""
        blocks.append(_section(f"•{shown} {link(url, 'open')}\n{quote(text, 600)}"))
    if actions:
        blocks.append(_section("\n".join(f"• {escape(line)}" for line in actions[:20])))
    return {
        "text": short(f"Timeline: {len(mentions)} new mentions, {len(actions)} actions", FALLBACK_LIMIT),
        "blocks": blocks,
    }


def closed(summary: CellSummary) -> dict[str, Any]:
    peak = f"{summary.peak} mentions in the hour from {summary.peak_at:%H:%M} UTC" if summary.peak_at else "none"
    lines = [
        f"*Crisis closed* by {short(summary.closed_by or '?')} after {duration_words(summary.duration)}.",
        f"*Mentions:* {summary.mentions} · *Peak:* {peak} · *Reach:* {summary.reach:,}",
        f"*Replies:* {summary.replies} · *First reply after:* {duration_words(summary.first_reply_after)}",
        "The summary is in the next reports.",
    ]
    return {"text": short(lines[0], FALLBACK_LIMIT), "blocks": [_section("\n".join(lines))]}

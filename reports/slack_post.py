"""Post a written report to Slack: the files (files_upload_v2) with a short summary as their comment; or, with no
bot token, one line in the local JSONL sink. The summary is built apart from the sending."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from reports.figures import Report
from reports.levels import direction


def summary(report: Report) -> str:
    last_day = (report.end - timedelta(days=1)).date()
    lines = [f"*{report.brand}* reputation report, {report.start.date()} to {last_day}:"]
    lines += [f"• {line}" for line in direction(report)]
    late = sum(report.late_by_assignee.values())
    if late or report.crises:
        lines.append(f"• {late} replies past their deadline, {len(report.crises)} crisis alerts.")
    return "\n".join(lines)


def channel_id(client: Any, channel: str) -> str:
    """files.completeUploadExternal wants a channel id; settings usually name the channel ('#alerts')."""
    name = channel.lstrip("#")
    if name[:1] in "CG" and name.isupper():
        return name
    cursor = None
    while True:
        page = client.conversations_list(types="public_channel,private_channel", limit=1000, cursor=cursor)
        for known in page.get("channels", []):
            if known["name"] == name:
                return str(known["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            raise LookupError(f"Slack channel {channel} not found (is the bot invited?)")


def post_to_slack(files: list[Path], text: str, token: str, base_url: str, channel: str) -> list[str]:
    """Upload the files to the channel with the summary; returns Slack's file ids."""
    from slack_sdk import WebClient

    client = WebClient(token=token, base_url=base_url, timeout=60)
    response = client.files_upload_v2(
        file_uploads=[{"file": str(path), "filename": path.name, "title": path.name} for path in files],
        channel=channel_id(client, channel),
        initial_comment=text,
    )
    uploaded: list[dict[str, Any]] = response.get("files") or []
    return [str(f["id"]) for f in uploaded]


def post_to_sink(files: list[Path], text: str, sink: Path, channel: str) -> list[str]:
    sink.parent.mkdir(parents=True, exist_ok=True)
    line = {"kind": "report", "channel": channel, "text": text, "files": [str(path) for path in files]}
    with sink.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return [f"sink:{path.name}" for path in files]


def post_once(files: list[Path], text: str, slack: Any, sink: Path, marker: Path) -> list[str] | None:
    """Post unless `marker` says it was: a restarted worker does not post the same weekly report twice.
    Returns the posted ids, or None when it had been posted already."""
    if marker.exists():
        return None
    if slack.bot_token:
        posted = post_to_slack(files, text, slack.bot_token, slack.base_url, slack.channel)
    else:
        posted = post_to_sink(files, text, sink, slack.channel)
    marker.write_text(json.dumps({"posted": posted}) + "\n", encoding="utf-8")
    return posted

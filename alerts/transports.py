"""Where alert messages go: Slack's Web API (bot token), an incoming webhook, or a local JSONL sink."""

from __future__ import annotations

import email.utils
import http.client
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from alerts.mrkdwn import escape

# Slack answers these for a deleted channel, a bad token, a missing invite: retrying will never work.
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "invalid_blocks",
    "msg_too_long",
    "restricted_action",
    "team_access_not_granted",
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
    "file_not_found",
    "file_deleted",
    "cant_delete_file",
    # The crisis cell's calls (alerts/crisis_cell.py): a name Slack refuses, a user it does not know.
    "invalid_name",
    "invalid_name_specials",
    "invalid_name_maxlength",
    "invalid_name_punctuation",
    "invalid_name_required",
    "user_not_found",
    "cant_invite",
    "user_is_restricted",
}

# Answers that say a crisis cell's step was done already (by an earlier attempt whose answer was lost): done.
ALREADY_DONE = {"name_taken", "already_in_channel", "cant_invite_self", "already_pinned"}


HISTORY_PAGES = 10  # of 200 messages: how far back a retaken alert is looked for in the channel


class RetryLater(Exception):
    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


class PermanentFailure(Exception):
    pass


class Transport(Protocol):
    def deliver(self, channel: str, message: dict[str, Any], alert_id: int, retaken: bool = False) -> str: ...

    def posted(self, channel: str, outbox: str, alert_ids: list[int], since: datetime) -> dict[int, str]:
        """Which of these alerts a message already carries (its metadata, stamped by alerts/send.py), with that
        message's reference: asked before sending again what a sender may have sent before it died. `{}` when the
        transport cannot tell (an incoming webhook) or on any doubt: a duplicate is better than a lost alert."""
        ...

    def replace(self, delivery_ref: str, message: dict[str, Any]) -> str:
        """Rewrite a message already delivered (`delivery_ref` as `deliver` returned it) after an erasure."""
        ...


def carried(message: dict[str, Any], outbox: str) -> list[int]:
    """The alert ids a sent message carries, if this database's outbox sent it (see alerts/send.py, `_stamped`)."""
    stamp: dict[str, Any] = (message.get("metadata") or {}).get("event_payload") or {}
    return list(stamp.get("alert_ids") or []) if stamp.get("outbox") == outbox else []


def idempotency_key(message: dict[str, Any]) -> str:
    """ "<outbox>:<alert ids>": the same for every attempt at the same message, different for any other."""
    stamp: dict[str, Any] = (message.get("metadata") or {}).get("event_payload") or {}
    return f"{stamp.get('outbox', '')}:{','.join(str(i) for i in stamp.get('alert_ids') or [])}"


def _not_reachable(delivery_ref: str, how: str) -> PermanentFailure:
    return PermanentFailure(f"the message {delivery_ref} cannot be rewritten {how}: delete it by hand")


class SinkTransport:
    """Appends one JSON line per message, so the demo and the tests run offline."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def posted(self, channel: str, outbox: str, alert_ids: list[int], since: datetime) -> dict[int, str]:
        found: dict[int, str] = {}
        if not self.path.exists():
            return found
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    sent = json.loads(line) if line.strip() else {}
                except json.JSONDecodeError:  # a line cut short by a crash: that message was not written
                    continue
                for alert_id in set(carried(sent, outbox)) & set(alert_ids):
                    found.setdefault(alert_id, f"sink:{sent.get('alert_id')}")
        return found

    def deliver(self, channel: str, message: dict[str, Any], alert_id: int, retaken: bool = False) -> str:
        # Written whole or not at all (one write of one line, then fsync): `posted` can trust what it reads.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"alert_id": alert_id, "channel": channel, **message}, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return f"sink:{alert_id}"

    # The crisis cell's steps (alerts/crisis_cell.py), one line each like the messages: `channel` is the name.
    def open_channel(self, name: str) -> str:
        self._write({"crisis_step": "conversations.create", "name": name})
        return f"#{name}"

    def invite(self, channel_id: str, users: list[str]) -> None:
        self._write({"crisis_step": "conversations.invite", "channel": channel_id, "users": users})

    def pin(self, channel_id: str, delivery_ref: str) -> None:
        self._write({"crisis_step": "pins.add", "channel": channel_id, "message": delivery_ref})

    def _write(self, line: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def replace(self, delivery_ref: str, message: dict[str, Any]) -> str:
        if not delivery_ref.startswith("sink:"):
            raise _not_reachable(delivery_ref, f"from the local sink {self.path}")
        alert_id = int(delivery_ref.removeprefix("sink:"))
        if not self.path.exists():
            return delivery_ref
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        for n, line in enumerate(lines):
            try:
                sent = json.loads(line) if line.strip() else {}
            except json.JSONDecodeError:  # a line cut short by a crash: kept as it is, not ours to mend
                continue
            if sent.get("alert_id") == alert_id:
                again = {"alert_id": alert_id, "channel": sent.get("channel"), **message}
                lines[n] = json.dumps(again, ensure_ascii=False) + "\n"
        # Written beside it, then renamed over it: a crash leaves the old file or the new one, never half of each.
        rewritten = self.path.with_name(self.path.name + ".rewrite")
        with rewritten.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(rewritten, self.path)
        return delivery_ref


class SlackTransport:
    def __init__(self, token: str, base_url: str, timeout: int = 10) -> None:
        from slack_sdk import WebClient

        self.client = WebClient(token=token, base_url=base_url, timeout=timeout)
        self.channel_ids: dict[str, str] = {}

    def posted(self, channel: str, outbox: str, alert_ids: list[int], since: datetime) -> dict[int, str]:
        """The channel's messages since `since` (when the oldest of these alerts was queued), read for the
        metadata that says which alerts each carries. Any doubt answers {} (send again)."""
        from slack_sdk.errors import SlackApiError

        found: dict[int, str] = {}
        try:
            channel_id = self._channel_id(channel)
            cursor = None
            for _ in range(HISTORY_PAGES):
                history = self.client.conversations_history(
                    channel=channel_id,
                    oldest=str(since.timestamp() - 60),
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                messages: list[dict[str, Any]] = history.get("messages", [])
                for message in messages:
                    for alert_id in set(carried(message, outbox)) & set(alert_ids):
                        found.setdefault(alert_id, f"slack:{channel_id}:{message.get('ts')}")
                cursor = (history.get("response_metadata") or {}).get("next_cursor")
                if not cursor or len(found) == len(alert_ids):
                    break
        except (SlackApiError, *TRANSIENT, LookupError):
            return {}
        return found

    def _uploaded(self, channel_id: str, files: list[Path], tag: str | None) -> str | None:
        """The reference of these files if they are in the channel already: a sender died after Slack shared
        them. Their titles carry this database's outbox name and the alert id (`tag`), so a report of the same
        brand and week posted by another installation, or by this one before its database was rebuilt, is not
        taken for this upload. Needs the files:read scope; without it (any doubt) None: upload again."""
        from slack_sdk.errors import SlackApiError

        try:
            listed = self.client.files_list(channel=channel_id, count=200)
        except (SlackApiError, *TRANSIENT):
            return None
        shared: dict[str, str] = {}
        for file in listed.get("files") or []:
            shared.setdefault(str(file.get("title") or file.get("name")), str(file["id"]))
        titles = [_title(path, tag) for path in files]
        if all(title in shared for title in titles):
            return f"slack-files:{channel_id}:" + ",".join(shared[title] for title in titles)
        return None

    def _channel_id(self, channel: str) -> str:
        """conversations.history wants an id; settings usually name the channel ('#alerts')."""
        name = channel.lstrip("#")
        if name[:1] in "CG" and name.isupper():
            return name
        if name not in self.channel_ids:
            cursor = None
            while True:
                page = self.client.conversations_list(types="public_channel,private_channel", limit=1000, cursor=cursor)
                channels: list[dict[str, Any]] = page.get("channels", [])
                for known in channels:
                    self.channel_ids[known["name"]] = known["id"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if name in self.channel_ids or not cursor:
                    break
        return self.channel_ids[name]

    def deliver(self, channel: str, message: dict[str, Any], alert_id: int, retaken: bool = False) -> str:
        if "files" in message:
            stamp = (message.get("metadata") or {}).get("event_payload") or {}
            tag = f"{str(stamp['outbox'])[:12]}:{alert_id}" if stamp.get("outbox") else None
            return self._upload(channel, [Path(name) for name in message["files"]], message["text"], retaken, tag)
        response = self._call(channel, lambda: self.client.chat_postMessage(channel=channel, **message))
        return f"slack:{response.get('channel')}:{response.get('ts')}"

    def _upload(
        self, channel: str, files: list[Path], comment: str, retaken: bool = False, tag: str | None = None
    ) -> str:
        """files_upload_v2: the files in one message, the comment above them; Slack's file ids."""
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise PermanentFailure(f"report file(s) gone before upload: {', '.join(missing)}")
        try:
            channel_id = self._call(channel, lambda: self._channel_id(channel))
        except KeyError:
            raise PermanentFailure(f"Slack channel {channel} not found (is the bot invited?)") from None
        if retaken:
            uploaded = self._uploaded(channel_id, files, tag)
            if uploaded:
                return uploaded
        uploads = [{"file": str(path), "filename": path.name, "title": _title(path, tag)} for path in files]
        response = self._call(
            channel,
            lambda: self.client.files_upload_v2(file_uploads=uploads, channel=channel_id, initial_comment=comment),
        )
        return f"slack-files:{channel_id}:" + ",".join(str(f["id"]) for f in response.get("files") or [])

    def open_channel(self, name: str) -> str:
        """A public channel named `name`: created, or the one of that name already there (made by an earlier
        attempt whose answer was lost, or by hand): its id. Needs the channels:manage scope."""
        response = self._call_done(name, lambda: self.client.conversations_create(name=name))
        if response is None:  # name_taken
            self.channel_ids.pop(name, None)
            return str(self._call(name, lambda: self._channel_id(name)))
        channel: dict[str, Any] = response.get("channel") or {}
        self.channel_ids[name] = str(channel["id"])
        return str(channel["id"])

    def invite(self, channel_id: str, users: list[str]) -> None:
        # One call per user: Slack refuses a whole list when one of them is in the channel already.
        for user in users:
            self._call_done(
                channel_id, lambda user=user: self.client.conversations_invite(channel=channel_id, users=user)
            )

    def pin(self, channel_id: str, delivery_ref: str) -> None:
        ts = delivery_ref.rsplit(":", 1)[-1]
        self._call_done(channel_id, lambda: self.client.pins_add(channel=channel_id, timestamp=ts))

    def _call_done(self, channel: str, call: Any) -> Any:
        """`_call`, but an answer of ALREADY_DONE is None (done before), not a failure."""

        try:
            return self._call(channel, lambda: _raising_done(call))
        except _AlreadyDone:
            return None

    def replace(self, delivery_ref: str, message: dict[str, Any]) -> str:
        prefix, _, place = delivery_ref.partition(":")
        channel, _, ts = place.partition(":")
        if prefix == "slack-files" and ts and "files" in message:
            return self._upload_again(channel, ts.split(","), message)
        if prefix != "slack" or not ts:
            raise _not_reachable(delivery_ref, "through the Slack Web API")
        shown = {key: value for key, value in message.items() if key in ("text", "blocks")}
        try:
            self._call(channel, lambda: self.client.chat_update(channel=channel, ts=ts, **shown))
        except PermanentFailure as error:
            if "message_not_found" in str(error):  # deleted in Slack already: nothing left to rewrite
                return delivery_ref
            raise
        return delivery_ref

    def _upload_again(self, channel_id: str, file_ids: list[str], message: dict[str, Any]) -> str:
        """A report written again after an erasure: Slack's copies are deleted (one deleted by hand already
        counts as done), the new files uploaded in their place; returns the new file ids."""
        for file_id in file_ids:
            try:
                self._call(channel_id, lambda file_id=file_id: self.client.files_delete(file=file_id))
            except PermanentFailure as error:
                if "file_not_found" not in str(error) and "file_deleted" not in str(error):
                    raise
        note = "\n_(written again after a person asked for their data to be erased; the earlier copy is deleted)_"
        # Taken over from a sender that died: the new files may be in the channel already (the old ones are gone).
        return self._upload(channel_id, [Path(name) for name in message["files"]], message["text"] + note, True)

    def _call(self, channel: str, call: Any) -> Any:
        """One Web API call, its errors sorted: 429 and 5xx wait and retry; a permanent refusal fails."""
        from slack_sdk.errors import SlackApiError

        try:
            return call()
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error", "")) if isinstance(error.response.data, dict) else ""
            if status == 429:
                retry_after = retry_after_seconds(error.response.headers)
                raise RetryLater(
                    timedelta(seconds=retry_after), f"Slack rate limit (429), retry after {retry_after}s"
                ) from None
            if code in PERMANENT_ERRORS:
                raise PermanentFailure(f"Slack refused the message to {channel}: {code}") from None
            raise RetryLater(timedelta(seconds=30), f"Slack error HTTP {status} {code or ''}".strip()) from None
        except TRANSIENT as error:  # connection refused, DNS, timeout, an answer cut short: Slack or the network
            raise RetryLater(timedelta(seconds=30), f"Slack unreachable: {type(error).__name__}: {error}") from None


class WebhookTransport:
    """Incoming-webhook mode, for teams without a bot token: the channel is the webhook's own.

    At least once: a webhook cannot read the channel back, so a message whose sender died after posting it is
    posted again, with the same `X-Veilleur-Idempotency-Key` header (the database's outbox name and the alert ids
    it carries, the same on every attempt): Slack ignores it, a relay or a receiver of your own can dedupe on it."""

    def __init__(self, url: str, timeout: int = 10) -> None:
        from slack_sdk.webhook import WebhookClient

        self.client = WebhookClient(url, timeout=timeout)

    def deliver(self, channel: str, message: dict[str, Any], alert_id: int, retaken: bool = False) -> str:
        body = {key: value for key, value in message.items() if key in ("text", "blocks", "unfurl_links")}
        if "files" in message:  # a webhook cannot upload: the summary, and where the files are kept
            body["text"] += "\nFiles: " + escape(", ".join(str(name) for name in message["files"]))
        try:
            response = self.client.send_dict(body, headers={"X-Veilleur-Idempotency-Key": idempotency_key(message)})
        except TRANSIENT as error:
            raise RetryLater(
                timedelta(seconds=30), f"Slack webhook unreachable: {type(error).__name__}: {error}"
            ) from None
        if response.status_code == 200:
            return f"webhook:{alert_id}"
        if response.status_code == 429:
            retry_after = retry_after_seconds(response.headers)
            raise RetryLater(timedelta(seconds=retry_after), f"Slack rate limit (429), retry after {retry_after}s")
        if response.status_code >= 500:
            raise RetryLater(timedelta(seconds=30), f"Slack webhook error HTTP {response.status_code}")
        # 400 invalid_payload, 403 action_prohibited, 404 no_service / channel_not_found: retrying will not help.
        raise PermanentFailure(f"Slack webhook refused the message: HTTP {response.status_code} {response.body}")

    def posted(self, channel: str, outbox: str, alert_ids: list[int], since: datetime) -> dict[int, str]:
        return {}  # an incoming webhook cannot read the channel: send again, under the same idempotency key

    def open_channel(self, name: str) -> str:
        raise PermanentFailure("an incoming webhook cannot open a crisis channel: set a bot token")

    def invite(self, channel_id: str, users: list[str]) -> None:
        raise PermanentFailure("an incoming webhook cannot invite anyone")

    def pin(self, channel_id: str, delivery_ref: str) -> None:
        raise PermanentFailure("an incoming webhook cannot pin a message")

    def replace(self, delivery_ref: str, message: dict[str, Any]) -> str:
        # An incoming webhook can post, never edit or delete.
        raise _not_reachable(delivery_ref, "through an incoming webhook (Slack allows no edit)")


class _AlreadyDone(Exception):
    pass


def _raising_done(call: Any) -> Any:
    from slack_sdk.errors import SlackApiError

    try:
        return call()
    except SlackApiError as error:
        code = str(error.response.get("error", "")) if isinstance(error.response.data, dict) else ""
        if code in ALREADY_DONE:
            raise _AlreadyDone(code) from None
        raise


def _title(path: Path, tag: str | None) -> str:
    """A report file's title in Slack: its name, and which database and alert uploaded it (see _uploaded)."""
    return f"{path.name} ({tag})" if tag else path.name


# The network failing under a request: refused, reset, timed out (OSError), or an answer cut short or garbled
# (IncompleteRead and its kin, a JSON body that ends half-way): Slack may be fine a minute later.
TRANSIENT = (OSError, http.client.HTTPException, json.JSONDecodeError)


def retry_after_seconds(headers: Any, default: int = 30) -> int:
    """Slack's Retry-After: seconds, as Slack sends it; an HTTP date or a fraction, as HTTP allows; anything else
    (or nothing) the default. Kept between 1 s and an hour, so a hostile or broken header cannot stall sending."""
    value = str(headers.get("Retry-After", headers.get("retry-after", "")) or "").strip()
    seconds: float = default
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (email.utils.parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            seconds = default
    if seconds != seconds:  # NaN
        seconds = default
    return int(min(max(seconds, 1), 3600))


def make_transport(bot_token: str, base_url: str, sink_path: Path, webhook_url: str = "") -> Transport:
    if bot_token:
        return SlackTransport(bot_token, base_url)
    if webhook_url:
        return WebhookTransport(webhook_url)
    return SinkTransport(sink_path)

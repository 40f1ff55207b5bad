"""A sender in its own OS process, for crash tests: the test kills it with SIGKILL while the fake Slack (or the
fake SMTP server) holds its request, then starts another one.

    python -m tests.support.sender alerts DATABASE_URL slack|webhook|sink TARGET NOW [GROUP_MAX] [die]
    python -m tests.support.sender notices DATABASE_URL smtp|sink TARGET NOW [die]

TARGET is the Slack API base URL, the webhook URL, the sink file, or the SMTP port; NOW (ISO) is the sender's clock.
With `die`, the process SIGKILLs itself right after its first message has left, before recording it (for a sink,
where nothing remote can hold the request).
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alerts.fatigue import Fatigue
from alerts.send import send_due
from alerts.transports import SinkTransport, SlackTransport, WebhookTransport
from models.db import make_engine, make_session_factory
from moderation import notify


class _DiesAfter:
    """The real transport or notifier; the process is killed as soon as its first send returns."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def deliver(self, *args: Any, **kwargs: Any) -> str:
        self.real.deliver(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    def send(self, *args: Any, **kwargs: Any) -> str:
        self.real.send(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


def main(what: str, url: str, how: str, target: str, now: str, *more: str) -> None:
    sessions = make_session_factory(make_engine(url))
    clock = datetime.fromisoformat(now)
    die = "die" in more
    if what == "notices":
        notifier: Any = (
            notify.SmtpNotifier("127.0.0.1", int(target), "avis@acme.example")
            if how == "smtp"
            else notify.SinkNotifier(Path(target))
        )
        print(notify.send_due(sessions, _DiesAfter(notifier) if die else notifier, now=clock))
        return
    group_max = more[0] if more and more[0] != "die" else "10"
    transport: Any = {
        "slack": lambda: SlackTransport("xoxb-test", target),
        "webhook": lambda: WebhookTransport(target),
    }.get(how, lambda: SinkTransport(Path(target)))()
    transport = _DiesAfter(transport) if die else transport
    fatigue = Fatigue(cooldown=timedelta(0), group_max=int(group_max))
    print(send_due(sessions, transport, f"pid-{now}", min_interval=0, clock=lambda: clock, fatigue=fatigue))


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Alert fatigue control: quiet hours, a cooldown per brand and kind, grouping, and digests of what was held.

Which kinds are grouped and held, and which never wait (crises, unhealthy sources, digests: rare, with their own
cooldowns), is each kind's fatigue class in models/alert_kinds.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from models import AlertKind
from models.alert_kinds import ALERT_KINDS, FatigueClass

NEVER_HELD = frozenset(kind for kind, entry in ALERT_KINDS.items() if entry.fatigue == FatigueClass.NEVER_HELD)
DIGEST_ONLY = frozenset(kind for kind, entry in ALERT_KINDS.items() if entry.fatigue == FatigueClass.DIGEST_ONLY)
DIGEST_ONLY_REASON = "digest_only"  # held_reason of such alerts: only the daily digest releases them


@dataclass(frozen=True)
class Fatigue:
    cooldown: timedelta = timedelta(minutes=10)  # per brand and kind
    quiet_start: time | None = None  # local time; None: no quiet hours
    quiet_end: time | None = None
    timezone: ZoneInfo = ZoneInfo("Europe/Paris")
    group_max: int = 10  # alerts of one brand and kind due together are sent as one message, up to this many

    def quiet(self, now: datetime) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = now.astimezone(self.timezone).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end  # e.g. 22:00-07:00 spans midnight


def hold_reason(kind: AlertKind, now: datetime, fatigue: Fatigue, last_sent: datetime | None) -> str | None:
    """Why this alert should wait for a digest rather than be sent now, or None to send it."""
    if kind in NEVER_HELD:
        return None
    if kind in DIGEST_ONLY:
        return DIGEST_ONLY_REASON
    if fatigue.quiet(now):
        return "quiet_hours"
    if last_sent is not None and now - last_sent < fatigue.cooldown:
        return "cooldown"
    return None


def parse_quiet_hours(value: str) -> tuple[time | None, time | None]:
    """'22:00-07:00' -> (22:00, 07:00); '' -> no quiet hours. Raises ValueError with the expected form."""
    if not value.strip():
        return None, None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"quiet hours {value!r}: expected HH:MM-HH:MM, e.g. 22:00-07:00") from None
    return start, end

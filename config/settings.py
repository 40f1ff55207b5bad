"""The one place that reads settings.toml and the environment.

Every other module receives a `Settings` object (or one section of it). A mistake in the file or in a
`VEILLEUR__SECTION__KEY` variable stops start-up with a `SettingsError` that names the file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from config.sources import KINDS

ENV_PREFIX = "VEILLEUR__"


class SettingsError(Exception):
    """A broken settings file or environment override. The message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/veilleur.db"


class SourceSettings(_Section):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: str  # one of config/sources.py
    urls: list[str] = Field(min_length=1)
    # Reviews the brand collected itself (its post-purchase survey, its own site): they may be published.
    own: bool = False
    # Every author of this source agreed to publication when writing (e.g. your own site's review form).
    consent: bool = False
    interval_minutes: int = Field(default=60, ge=1)
    max_pages: int = Field(default=5, ge=1)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            # The same error a Literal gives, so the message lists the kinds: "Input should be 'a', 'b' or 'c'".
            names = [repr(name) for name in KINDS]
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": f"{', '.join(names[:-1])} or {names[-1]}"}
            )
        return kind


class BrandSettings(_Section):
    slug: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    sources: list[SourceSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_source_names(self) -> BrandSettings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique within a brand: {', '.join(duplicates)}")
        return self


class CrawlSettings(_Section):
    user_agent: str = Field(min_length=1)
    obey_robots_txt: bool = True
    autothrottle: bool = True
    concurrent_requests_per_domain: int = Field(default=2, ge=1)
    download_delay_seconds: float = Field(default=1.0, ge=0)
    timeout_seconds: int = Field(default=600, ge=10)
    http_cache: bool = False
    # Key of the author pseudonyms (a secret: set VEILLEUR__CRAWL__PSEUDONYM_SECRET). Empty: a key generated for the
    # database and kept in it (table instance_secret), with a warning when it is made.
    pseudonym_secret: str = ""


class Thresholds(_Section):
    negative: float = Field(default=0.5, ge=0, le=1)
    toxic: float = Field(default=0.5, ge=0, le=1)
    spam: float = Field(default=0.5, ge=0, le=1)


class ClassifierSettings(_Section):
    model: Literal["baseline", "transformer"] = "baseline"
    labelled_dir: str = "../shared/labelled"
    cache_dir: str = ".cache/veilleur"
    batch_size: int = Field(default=32, ge=1)
    thresholds: Thresholds = Thresholds()


class SmtpSettings(_Section):
    """Where author and product-owner notices leave from. No host: a local JSONL sink (the demo's default)."""

    host: str = ""
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "veilleur@localhost"
    user: str = ""
    password: str = ""  # a secret: set VEILLEUR__MODERATION__SMTP__PASSWORD
    starttls: bool = False
    sink_path: str = "var/mail-sink.jsonl"
    max_attempts: int = Field(default=5, ge=1)


class ModerationSettings(_Section):
    reply_sla_hours: int = Field(default=24, ge=1)
    # A reminder goes to Slack when a reply is due within this many hours, another when it is late.
    reply_reminder_hours: int = Field(default=4, ge=0)
    undo_minutes: int = Field(default=10, ge=0)
    # "one_click": every review waits for a moderator. "auto": published after auto_approve_hours unless a
    # moderator acts first, except a sampled share held for a moderator. Sentiment plays no part in either.
    publishing: Literal["one_click", "auto"] = "one_click"
    auto_approve_hours: float = Field(default=24.0, ge=0)
    auto_sample_share: float = Field(default=0.1, ge=0, le=1)
    # Product reviews rated this or less (on 5) go to the product's owner (an e-mail address), by product ref.
    low_rating: float = Field(default=3.0, ge=1, le=5)
    product_owners: dict[str, str] = Field(default_factory=dict)
    # Reply templates: language -> template name -> text; {name} is the author's display name.
    reply_templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    smtp: SmtpSettings = SmtpSettings()


class SlackSettings(_Section):
    bot_token: str = ""
    channel: str = Field(default="#veilleur-alerts", min_length=1)
    base_url: str = "https://slack.com/api/"
    sink_path: str = "var/slack-sink.jsonl"
    max_attempts: int = Field(default=5, ge=1)
    # Interactivity (buttons): requests are verified with the app's signing secret (set it in the environment);
    # only these Slack user ids may moderate from Slack.
    signing_secret: str = ""
    moderators: list[str] = Field(default_factory=list)
    # Without a bot token, an incoming webhook URL (a secret: set it in the environment) is used if set.
    webhook_url: str = ""
    # Alert fatigue: at most one message per brand and kind per cooldown, the rest go to a digest;
    # quiet hours (local time, "22:00-07:00", empty for none) hold everything but crises until they end.
    cooldown_minutes: int = Field(default=10, ge=0)
    quiet_hours: str = Field(default="", pattern=r"^$|^\d{2}:\d{2}-\d{2}:\d{2}$")
    timezone: str = "Europe/Paris"
    group_max: int = Field(default=10, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value


class TopicSettings(_Section):
    """A topic of the customer journey and example phrases (French and English) that mean it."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_]*$")
    label: str = Field(min_length=1)
    examples: list[str] = Field(min_length=2)


class ReportSettings(_Section):
    out_dir: str = "var/reports"
    # The weekly report (every [scheduler] report_hours): these files are kept in out_dir and posted to Slack.
    weekly_formats: list[Literal["html", "pdf", "csv"]] = ["html", "pdf"]
    post_to_slack: bool = True
    # "Products rated 3 or less over their last N reviews".
    product_last_reviews: int = Field(default=10, ge=1)
    product_max_rating: float = Field(default=3.0, ge=1, le=5)
    # Weak signals: a topic is rare under this share of the period's tagged mentions.
    rare_topic_share: float = Field(default=0.05, ge=0, le=1)
    # Empty: the built-in list (reports/topic_list.py). Changing the list re-tags mentions (a new tagger version).
    topics: list[TopicSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_topics(self) -> ReportSettings:
        names = [topic.name for topic in self.topics]
        duplicates = sorted({name for name in names if names.count(name) > 1 or name == "other"})
        if duplicates:
            raise ValueError(f"topic names must be unique and not 'other': {', '.join(duplicates)}")
        return self


class SchedulerSettings(_Section):
    classify_minutes: int = Field(default=5, ge=1)
    route_minutes: int = Field(default=5, ge=1)
    send_minutes: int = Field(default=1, ge=1)
    report_hours: int = Field(default=168, ge=1)


class SignalsSettings(_Section):
    """Crisis detection (alerts/crisis.py). Defaults measured on NAB realTweets: see README."""

    window_minutes: int = Field(default=30, ge=5, multiple_of=5)
    days: int = Field(default=7, ge=2)
    # Hour-of-week seasonality over up to this many past weeks once two exist (0: time of day only).
    weeks: int = Field(default=4, ge=0, le=8)
    p_value: float = Field(default=1e-9, gt=0, lt=1)
    min_count: int = Field(default=10, ge=1)
    min_ratio: float = Field(default=3.0, ge=1)
    max_share: float = Field(default=0.5, ge=0)
    cooldown_hours: float = Field(default=24.0, ge=0)
    # Negative share: the last `share_hours` against the previous `days`, two-proportion z-test.
    share_hours: int = Field(default=6, ge=1)
    share_z: float = Field(default=3.0, gt=0)
    share_min_mentions: int = Field(default=10, ge=1)
    share_min_rise: float = Field(default=0.15, ge=0, le=1)
    check_minutes: int = Field(default=5, ge=1)


class IntakeSettings(_Section):
    """The survey intake endpoint of `veilleur serve` (POST /intake/survey/BRAND/SOURCE)."""

    token: str = ""  # a secret: set VEILLEUR__INTAKE__TOKEN; empty refuses every request
    # A larger body is refused (413) while it streams, before the token is even looked at: split the export.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)


class PublishingSettings(_Section):
    """The published feed and its webhook push to the brand's site (moderation/publishing/)."""

    # Where feed changes are pushed (POST, signed). Empty: no push; the site reads /feed/BRAND.json instead.
    webhook_url: str = ""
    webhook_secret: str = ""  # a secret: set VEILLEUR__PUBLISHING__WEBHOOK_SECRET
    timeout_seconds: float = Field(default=10.0, gt=0)
    # Failed pushes wait 1, 2, 4... minutes, never more than this, and are retried until the site answers 2xx.
    retry_max_minutes: int = Field(default=60, ge=1)
    send_minutes: int = Field(default=1, ge=1)
    # Shown on the disclosure page: the longest a review waits between submission and publication.
    max_publication_days: int = Field(default=7, ge=1)
    # What authors get in exchange for a review (shown on the disclosure page). Empty: nothing at all.
    incentive: str = ""

    @model_validator(mode="after")
    def _signed(self) -> PublishingSettings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("webhook_url is set but webhook_secret is empty: set VEILLEUR__PUBLISHING__WEBHOOK_SECRET")
        return self


class PrivacySettings(_Section):
    """Personal data retention (moderation/privacy.py)."""

    # Authors whose newest mention is older than this lose their name, contact and display name.
    pseudonymise_after_months: int = Field(default=24, ge=1)
    # Removed reviews and their reasons are kept (without personal data) at least this long: one year minimum.
    keep_removed_days: int = Field(default=365, ge=365)
    retention_hours: int = Field(default=24, ge=1)


class ConsoleUser(_Section):
    """A console account. In header mode the proxy authenticates and password_hash stays empty."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    role: Literal["viewer", "moderator", "admin"]
    password_hash: str = ""  # from `veilleur console hash-password`


MIN_SECRET_KEY = 32  # characters; secrets.token_urlsafe(32) gives 43


class ConsoleSettings(_Section):
    """The moderation console at /console on `veilleur serve` (docs/console.md)."""

    # Signs the session cookie: set VEILLEUR__CONSOLE__SECRET_KEY. Empty keeps the console off.
    secret_key: str = ""
    # The cookie's `Secure` flag (sent over HTTPS only). Unset: on when [serve] public_url is https://, so the
    # demo on http://127.0.0.1 works; set it true behind a TLS proxy that has no public_url.
    secure_cookie: bool | None = None
    # "password": local accounts below. "header": a trusted reverse proxy names the user in `header`.
    auth: Literal["password", "header"] = "password"
    header: str = "X-Forwarded-User"
    users: list[ConsoleUser] = Field(default_factory=list)
    session_hours: float = Field(default=12.0, gt=0)
    # Failed logins allowed per client address and per user name within the window.
    login_attempts: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    page_size: int = Field(default=50, ge=1, le=500)

    @field_validator("secret_key")
    @classmethod
    def _strong_key(cls, key: str) -> str:
        # Whoever guesses the key signs a session as any user. The message never repeats the key.
        if key and len(key) < MIN_SECRET_KEY:
            raise ValueError(
                f"console secret_key is too short ({len(key)} characters): use at least {MIN_SECRET_KEY} random"
                ' characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return key

    @model_validator(mode="after")
    def _unique_users(self) -> ConsoleSettings:
        names = [user.name for user in self.users]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"console user names must be unique: {', '.join(duplicates)}")
        return self


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address moderators reach `veilleur serve` at (behind a proxy, say): Slack alerts link to the console
    # there ("Open in console"). Empty: no link.
    public_url: str = Field(default="", pattern=r"^$|^https?://")
    # Every other route (Slack's buttons, the console's forms): a larger body is refused (413) while it streams,
    # before any authentication, so an anonymous client cannot make the server hold more than this.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)


class DemoSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    pages_dir: str = "tests/fixtures/realdata"


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    crawl: CrawlSettings
    classifier: ClassifierSettings = ClassifierSettings()
    moderation: ModerationSettings = ModerationSettings()
    slack: SlackSettings = SlackSettings()
    reports: ReportSettings = ReportSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    signals: SignalsSettings = SignalsSettings()
    intake: IntakeSettings = IntakeSettings()
    publishing: PublishingSettings = PublishingSettings()
    privacy: PrivacySettings = PrivacySettings()
    serve: ServeSettings = ServeSettings()
    console: ConsoleSettings = ConsoleSettings()
    demo: DemoSettings = DemoSettings()
    brands: list[BrandSettings] = Field(default_factory=list)
    # Where the file was read from: relative paths in settings are relative to its folder.
    base_dir: Path = Path(".")

    def path(self, value: str) -> Path:
        """A path from settings, resolved against the settings file's folder."""
        path = Path(value)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute (so any working directory works)."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]))
        return url

    def brand(self, slug: str) -> BrandSettings:
        for brand in self.brands:
            if brand.slug == slug:
                return brand
        known = ", ".join(b.slug for b in self.brands) or "none"
        raise SettingsError(f"no brand {slug!r} in settings (known brands: {known})")


def load_settings(path: str | Path = "settings.toml", environ: dict[str, str] | None = None) -> Settings:
    """Read, override from the environment, and validate. Raises SettingsError naming file and key."""
    path = Path(path)
    environ = dict(os.environ) if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: settings file not found") from None
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    _apply_environment(raw, environ, path)
    if "base_dir" in raw:
        raise SettingsError(f"{path}: unknown key 'base_dir'")
    raw["base_dir"] = path.resolve().parent
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        raise SettingsError(_describe(error, path, raw, environ)) from None


def _apply_environment(raw: dict[str, Any], environ: dict[str, str], path: Path) -> None:
    """VEILLEUR__SLACK__BOT_TOKEN=x sets [slack] bot_token. Values are read as TOML when they parse, else text.

    Not pydantic-settings' EnvSettingsSource: it reads lists and tables as JSON (not TOML), silently ignores a
    variable whose section is misspelt (VEILLEUR__SLAK__BOT_TOKEN) or missing (VEILLEUR__TOKEN), and reads only
    os.environ; keeping these promises would take more code than this loop."""
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if len(keys) < 2 or not all(keys):
            raise SettingsError(f"environment variable {name}: expected VEILLEUR__SECTION__KEY")
        section = raw
        for key in keys[:-1]:
            child = section.setdefault(key, {})
            if not isinstance(child, dict):
                raise SettingsError(f"environment variable {name}: [{'.'.join(keys[:-1])}] in {path} is not a table")
            section = child
        section[keys[-1]] = _parse_env_value(value)


def _parse_env_value(value: str) -> Any:
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _describe(error: ValidationError, path: Path, raw: dict[str, Any], environ: dict[str, str]) -> str:
    lines = [f"{path}: invalid settings"]
    for problem in error.errors():
        key = _key_name(problem["loc"], raw)
        kind = problem["type"]
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "missing required value"
        else:
            message = f"{problem['msg']}{_got(problem['loc'], problem.get('input'))}"
        env_name = ENV_PREFIX + "__".join(str(part).upper() for part in problem["loc"] if isinstance(part, str))
        hint = f" (or environment variable {env_name})" if env_name in environ else ""
        lines.append(f"  {key}{hint}: {message}")
    return "\n".join(lines)


# A key whose name says it holds a secret: its value is never printed, even when it is the one rejected.
SECRET_KEY = re.compile(r"secret|token|password|webhook_url|smtp_url", re.IGNORECASE)


def _got(loc: tuple[Any, ...], value: Any) -> str:
    """' (got ...)' to show which value was refused, with secrets left out; nothing for a whole section."""
    named = [part for part in loc if isinstance(part, str)]
    if named and SECRET_KEY.search(named[-1]):
        return " (value hidden: it is a secret)"
    if isinstance(value, dict | list):
        return ""  # a section or a list failed as a whole (e.g. duplicate users): it may hold secrets
    return f" (got {value!r})"


def _key_name(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """('brands', 0, 'sources', 1, 'kind') -> brands[demo].sources[shop].kind, as a user would look for it."""
    parts: list[str] = []
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("slug") or item.get("name") if isinstance(item, dict) else None
            parts[-1] += f"[{label or part}]"
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)

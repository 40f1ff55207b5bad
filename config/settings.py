"""The one place that reads settings.toml and the environment.

Every other module receives a `Settings` object (or one section of it). A mistake in the file or in a
`VEILLEUR__SECTION__KEY` variable stops start-up with a `SettingsError` that names the file and the key
(config/errors.py). The sections of a brand are in config/brands.py, the survey's in config/survey_settings.py,
the checks every section shares in config/checks.py.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator

from config.brands import BrandSettings, product_label
from config.checks import Section, checked, database_url_problem, host_problem, key_error, url_problem
from config.environment import apply_environment
from config.errors import SettingsError, describe
from config.industries import NONE
from config.people import SLACK_USER_ID, People
from config.survey_settings import SurveySettings
from config.topic_settings import TopicSettings, known_industry, topic_name_problem


class DatabaseSettings(Section):
    url: str = "sqlite:///var/veilleur.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, url: str) -> str:
        return checked(url, database_url_problem(url))


class RelevanceSettings(Section):
    """Relevance of posts to their brand beyond the query (moderation/relevance/score.py)."""

    # A post that passed its query is off-topic when its score is under this (see docs/relevance.md).
    threshold: float = Field(default=0.0, ge=-1, le=1)
    # The newest moderator marks (relevant / off-topic) per brand the score learns from.
    marks: int = Field(default=200, ge=0)


class CrawlSettings(Section):
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


class Thresholds(Section):
    negative: float = Field(default=0.5, ge=0, le=1)
    toxic: float = Field(default=0.5, ge=0, le=1)
    spam: float = Field(default=0.5, ge=0, le=1)


class ClassifierSettings(Section):
    model: Literal["baseline", "transformer"] = "baseline"
    labelled_dir: str = "../shared/labelled"
    cache_dir: str = ".cache/veilleur"
    batch_size: int = Field(default=32, ge=1)
    # The worker drops the classifier and the topic encoder after this many minutes unused (0: kept for good).
    idle_unload_minutes: int = Field(default=10, ge=0)
    # Versions learnt from moderators' corrections, their record (versions.json) and which one runs.
    versions_dir: str = "var/classifier"
    # A new version replaces the current one only if it loses at most this much (macro-F1, F1) on every fixed set.
    promotion_margin: float = Field(default=0.01, ge=0, le=1)
    # The share of stored corrections held out to compare the new version with the current one.
    corrections_held_out: float = Field(default=0.25, gt=0, lt=1)
    thresholds: Thresholds = Thresholds()


class SmtpSettings(Section):
    """Where author and product-owner notices leave from. No host: a local JSONL sink (the demo's default)."""

    host: str = ""
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "veilleur@localhost"
    user: str = ""
    password: str = ""  # a secret: set VEILLEUR__MODERATION__SMTP__PASSWORD
    starttls: bool = False
    sink_path: str = "var/mail-sink.jsonl"
    max_attempts: int = Field(default=5, ge=1)

    @field_validator("host")
    @classmethod
    def _bare_host(cls, host: str) -> str:
        return checked(host, host_problem(host) if host else "")


class ModerationSettings(Section):
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
    # History is not news: a mention collected by its source's first crawl, or already older than this many days,
    # is queued and counted but raises no alert and gets no reply deadline. 0: only the first-crawl rule.
    backfill_days: int = Field(default=14, ge=0)
    # An automatic rejection (abuse or spam model) is held this long before it is final and its author is told;
    # until then `queue undo` (or the console) puts the review back in its queue. 0: final at once.
    hold_auto_reject_hours: float = Field(default=24.0, ge=0)
    # Reply templates: language -> template name -> text; {name} is the author's display name.
    reply_templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    smtp: SmtpSettings = SmtpSettings()


class SlackSettings(Section):
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
    # The crisis cell (alerts/crisis_cell.py): these Slack user ids are invited to each crisis's own channel.
    crisis_team: list[str] = Field(default_factory=list)

    @field_validator("crisis_team")
    @classmethod
    def _user_ids(cls, users: list[str]) -> list[str]:
        # conversations.invite takes ids, not names: "@alice" or an e-mail would fail only during a crisis.
        wrong = [user for user in users if not SLACK_USER_ID.fullmatch(user)]
        if wrong:
            raise ValueError(f"not Slack user ids (like U0123ABCD): {', '.join(repr(user) for user in wrong)}")
        return users

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of the zone files
            raise ValueError("unknown time zone (e.g. Europe/Paris)") from None
        return value

    @field_validator("base_url", "webhook_url")
    @classmethod
    def _slack_url(cls, url: str) -> str:
        return checked(url, url_problem(url, ("https",), local_http=True) if url else "")


class ReportSettings(Section):
    out_dir: str = "var/reports"
    # The weekly report (every [scheduler] report_hours): these files are kept in out_dir and posted to Slack.
    weekly_formats: list[Literal["html", "pdf", "csv"]] = ["html", "pdf"]
    post_to_slack: bool = True
    # "Products rated 3 or less over their last N reviews".
    product_last_reviews: int = Field(default=10, ge=1)
    product_max_rating: float = Field(default=3.0, ge=1, le=5)
    # Weak signals (reports/weak_signals.py): a new term or a topic counts from this many mentions this period; a
    # topic's share of tagged mentions, or of its negative mentions, is rising from this rise (0.10: 10 points).
    signal_min_mentions: int = Field(default=3, ge=1)
    signal_rise: float = Field(default=0.10, gt=0, le=1)
    # A change (rating, NPS-like, shares) between periods is shown only when both rest on this many items or more:
    # fewer are marked "small sample" and their change reads "too few to compare".
    min_sample: int = Field(default=30, ge=1)
    # No longer read (weak signals are no longer "rare topics"): accepted so older settings files still load.
    rare_topic_share: float = Field(default=0.05, ge=0, le=1)
    # The shipped topic list (reports/topic_lists/INDUSTRY.toml), or "none" for `topics` alone: the default of
    # every brand without its own `[[brands]] industry`.
    industry: str = "retail"
    # Extends this industry's list, for every brand on it; a topic named as a shipped one replaces it. Changing
    # either re-tags those brands' mentions.
    topics: list[TopicSettings] = Field(default_factory=list)

    @field_validator("industry")
    @classmethod
    def _known_industry(cls, industry: str) -> str:
        return known_industry(industry)

    @model_validator(mode="after")
    def _unique_topics(self) -> ReportSettings:
        problem = topic_name_problem(self.topics)
        if problem:
            raise ValueError(problem)
        if self.industry == NONE and not self.topics:
            raise ValueError(f"industry {NONE!r} needs [[reports.topics]]: no topic would be tagged")
        return self


class SchedulerSettings(Section):
    classify_minutes: int = Field(default=5, ge=1)
    route_minutes: int = Field(default=5, ge=1)
    send_minutes: int = Field(default=1, ge=1)
    report_hours: int = Field(default=168, ge=1)


class DistributedSettings(Section):
    """Distributed mode (docs/distributed.md): `veilleur scheduler` enqueues, `veilleur worker` processes run the
    jobs from a Redis broker (Celery), on a shared PostgreSQL database. Empty broker_url: the embedded mode."""

    broker_url: str = ""
    # A task not acknowledged this long after a worker took it (the worker died) goes back on its queue.
    visibility_timeout_seconds: int = Field(default=3600, ge=10)
    # A claimed tick belongs to its worker this long (crawls: [crawl] timeout_seconds + 30 s); then another may
    # take it over.
    lease_seconds: int = Field(default=900, ge=5)
    # The leading scheduler enqueues again a tick still not started this long after (its message was lost).
    requeue_after_seconds: int = Field(default=900, ge=5)
    # How often a standby scheduler tries to take the lead, and the leader checks it still holds it.
    leader_check_seconds: float = Field(default=5.0, ge=0.2, le=60)
    # A failing task is retried this many times (30 s, 60 s, 120 s, ... apart), then waits for its next tick.
    task_retries: int = Field(default=3, ge=0)

    @field_validator("broker_url")
    @classmethod
    def _redis(cls, url: str) -> str:
        problem = url_problem(url, ("redis", "rediss")) if url else ""
        return checked(url, problem and f"{problem} (e.g. redis://127.0.0.1:6379/0)")


class SignalsSettings(Section):
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
    # Crisis tier: the window after a spike must still hold this many times its expected count (0: every spike).
    persist_ratio: float = Field(default=1.5, ge=0)
    # Negative share: the last `share_hours` against the previous `days`, two-proportion z-test.
    share_hours: int = Field(default=6, ge=1)
    share_z: float = Field(default=3.0, gt=0)
    share_min_mentions: int = Field(default=10, ge=1)
    share_min_rise: float = Field(default=0.15, ge=0, le=1)
    check_minutes: int = Field(default=5, ge=1)


class CrisisSettings(Section):
    """The crisis cell (alerts/crisis_cell.py): what its channel offers the team."""

    # Holding statements, offered in the channel as reply templates: language -> name -> text.
    holding_statements: dict[str, dict[str, str]] = Field(default_factory=dict)
    # One timeline update in the cell's channel at most this often (0: at every run of the job, each minute).
    timeline_minutes: int = Field(default=10, ge=0, le=24 * 60)

    @field_validator("holding_statements")
    @classmethod
    def _statements(cls, statements: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for language, texts in statements.items():
            if not re.fullmatch(r"[a-z]{2,3}", language):
                raise ValueError(f"{language!r} is not a language code (like fr, en)")
            empty = [name for name, text in texts.items() if not text.strip()]
            if empty:
                raise ValueError(f"empty holding statement(s) in {language}: {', '.join(empty)}")
        return statements


class IntakeSettings(Section):
    """The survey intake endpoint of `veilleur serve` (POST /intake/survey/BRAND/SOURCE)."""

    token: str = ""  # a secret: set VEILLEUR__INTAKE__TOKEN; empty refuses every request
    # A larger body is refused (413) while it streams, before the token is even looked at: split the export.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)


class PublishingSettings(Section):
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
    # Where the widget's "how reviews are checked" link leads ({brand} is the brand's slug), e.g. a copy of the
    # disclosure page on the brand's site. Empty: [serve] public_url + /disclosure/{brand}.html.
    disclosure_url: str = ""

    @field_validator("disclosure_url")
    @classmethod
    def _disclosure_url(cls, url: str) -> str:
        return checked(url, url_problem(url, ("http", "https")) if url else "")

    @field_validator("webhook_url")
    @classmethod
    def _site_url(cls, url: str) -> str:
        return checked(url, url_problem(url, ("https",), local_http=True) if url else "")

    @model_validator(mode="after")
    def _signed(self) -> PublishingSettings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("webhook_url is set but webhook_secret is empty: set VEILLEUR__PUBLISHING__WEBHOOK_SECRET")
        return self


class PrivacySettings(Section):
    """Personal data retention (moderation/privacy.py)."""

    # Authors whose newest mention is older than this lose their name, contact and display name.
    pseudonymise_after_months: int = Field(default=24, ge=1)
    # Removed reviews and their reasons are kept (without personal data) at least this long: one year minimum.
    keep_removed_days: int = Field(default=365, ge=365)
    retention_hours: int = Field(default=24, ge=1)


class ConsoleUser(Section):
    """A console account. In header mode the proxy authenticates and password_hash stays empty."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    role: Literal["viewer", "moderator", "admin"]
    password_hash: str = ""  # from `veilleur console hash-password`
    # The account's Slack user (U0123ABCD): what Slack assigns to that user, or does, is stored under the
    # account's name, so the console, the CLI and Slack name the person the same way (config/people.py).
    slack_id: str = ""

    @field_validator("slack_id")
    @classmethod
    def _slack_user_id(cls, value: str) -> str:
        if value and not SLACK_USER_ID.fullmatch(value):
            raise ValueError(f"not a Slack user id (like U0123ABCD, from the profile's menu): {value[:60]!r}")
        return value


MIN_SECRET_KEY = 32  # characters; secrets.token_urlsafe(32) gives 43


class ConsoleSettings(Section):
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
        # A long key of few distinct characters ("x" * 32, spaces, "changeme" repeated) is as easy to guess.
        if key and (len(key) < MIN_SECRET_KEY or len(set(key.strip())) < 10):
            raise ValueError(
                f"console secret_key is too short or too plain ({len(key)} characters): use at least"
                f" {MIN_SECRET_KEY} random characters, e.g."
                ' python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return key

    @model_validator(mode="after")
    def _unique_users(self) -> ConsoleSettings:
        names = [user.name for user in self.users]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"console user names must be unique: {', '.join(duplicates)}")
        # One Slack user, one account: otherwise whose name a Slack assignment gets would be a guess.
        slack_ids = [user.slack_id for user in self.users if user.slack_id]
        taken = sorted({slack_id for slack_id in slack_ids if slack_ids.count(slack_id) > 1})
        if taken:
            raise ValueError(f"console users' slack_id must be unique: {', '.join(taken)} named twice")
        return self

    def people(self) -> People:
        """Account names by Slack user id: one name per person across Slack, the console and the CLI."""
        return People.of((user.name, user.slack_id) for user in self.users)


class ServeSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address moderators reach `veilleur serve` at (behind a proxy, say): Slack alerts link to the console
    # there ("Open in console"). Empty: no link.
    public_url: str = Field(default="", pattern=r"^$|^https?://")
    # Every other route (Slack's buttons, the console's forms): a larger body is refused (413) while it streams,
    # before any authentication, so an anonymous client cannot make the server hold more than this.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)


class DemoSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    pages_dir: str = "tests/fixtures/realdata"


class Settings(Section):
    database: DatabaseSettings = DatabaseSettings()
    crawl: CrawlSettings
    classifier: ClassifierSettings = ClassifierSettings()
    moderation: ModerationSettings = ModerationSettings()
    slack: SlackSettings = SlackSettings()
    reports: ReportSettings = ReportSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    distributed: DistributedSettings = DistributedSettings()
    signals: SignalsSettings = SignalsSettings()
    crisis: CrisisSettings = CrisisSettings()
    intake: IntakeSettings = IntakeSettings()
    surveys: SurveySettings = SurveySettings()
    publishing: PublishingSettings = PublishingSettings()
    privacy: PrivacySettings = PrivacySettings()
    serve: ServeSettings = ServeSettings()
    console: ConsoleSettings = ConsoleSettings()
    demo: DemoSettings = DemoSettings()
    relevance: RelevanceSettings = RelevanceSettings()
    brands: list[BrandSettings] = Field(default_factory=list)
    # Where the file was read from: relative paths in settings are relative to its folder.
    base_dir: Path = Path(".")

    @field_validator("brands")
    @classmethod
    def _unique_slugs(cls, brands: list[BrandSettings]) -> list[BrandSettings]:
        # Brands are found by slug everywhere (database, commands, URLs): two with one slug would be merged.
        slugs = [brand.slug for brand in brands]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"brand slugs must be unique: {', '.join(duplicates)}")
        return brands

    @model_validator(mode="after")
    def _brand_topic_lists(self) -> Settings:
        # Checked here: whether a brand on industry "none" has topics depends on [reports] too.
        for index, brand in enumerate(self.brands):
            if brand.industry == NONE and not brand.topics and self.reports.industry != NONE:
                problem = f"{NONE!r} needs [[brands.topics]]: no topic would be tagged"
                raise key_error(("brands", index, "industry"), brand.industry, problem)
        return self

    @field_validator("serve")
    @classmethod
    def _public_url(cls, serve: ServeSettings) -> ServeSettings:
        # Checked here rather than in ServeSettings: links are built as PUBLIC_URL/console/review/ID.
        url = serve.public_url
        problem = url_problem(url, ("http", "https")) if url else ""
        if url and not problem and (urlsplit(url).query or urlsplit(url).fragment):
            problem = "no ? or # part: links are made as PUBLIC_URL/console/review/ID"
        if problem:
            raise key_error(("public_url",), url, problem)
        return serve

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

    def product_label(self, slug: str, reference: str) -> str:
        """A product of brand `slug` as moderators read it (config/brands.py); a brand no longer declared: the
        reference alone."""
        names = next((brand.products for brand in self.brands if brand.slug == slug), {})
        return product_label(names, reference)

    def brand(self, slug: str) -> BrandSettings:
        for brand in self.brands:
            if brand.slug == slug:
                return brand
        known = ", ".join(b.slug for b in self.brands) or "none"
        raise SettingsError(f"no brand {slug!r} in settings (known brands: {known})")


def load_settings(
    path: str | Path = "settings.toml", environ: dict[str, str] | None = None, *, need_brand: bool = False
) -> Settings:
    """Read, override from the environment, and validate. Raises SettingsError naming file and key.

    need_brand: a file with no [[brands]] is refused (a worker with no brand watches nothing). The commands that
    only use the classifier settings load without it."""
    path = Path(path)
    environ = dict(os.environ) if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: settings file not found") from None
    except IsADirectoryError:
        raise SettingsError(f"{path}: this is a folder, not a settings file") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise SettingsError(f"{path}: not valid TOML: arrays or tables nested too deep") from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits (Python's limit on int("..."))
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    apply_environment(raw, environ, path)
    if "base_dir" in raw:
        raise SettingsError(f"{path}: unknown key 'base_dir'")
    raw["base_dir"] = path.resolve().parent
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise SettingsError(describe(error, path, raw, environ)) from None
    if need_brand and not settings.brands:
        raise SettingsError(
            f"{path}: no brand: add a [[brands]] table (slug, name) and its [[brands.sources]]"
            " (a worker with no brand watches nothing)"
        )
    return settings

"""URLs and hosts in settings are checked at load: a mistake names its key, never a traceback at the first crawl."""

from __future__ import annotations

import subprocess
import sys

import pytest

from config.settings import load_settings
from tests.skeleton.test_settings import GOOD, ROOT, error_of, lines_of, write

SOURCE = "brands[acme].sources[shop].urls[#1]"


def with_url(url: str, kind: str = "schema_org") -> str:
    return GOOD.replace('"http://127.0.0.1:1/page.html"', f'"{url}"').replace('"schema_org"', f'"{kind}"')


@pytest.mark.parametrize(
    "url",
    ["not a url", "www.example.com/avis", "ftp://example.com/x", "http://", "https:///path", "http://exa mple.com/",
     "https://example.com:99999/", "javascript:alert(1)"],
)  # fmt: skip
def test_a_source_url_that_cannot_be_crawled_is_refused(tmp_path, url):
    message = error_of(write(tmp_path, with_url(url)))
    assert any(line.startswith(f"{SOURCE}: ") for line in lines_of(message)), message


@pytest.mark.parametrize("url", ["https://fr.trustpilot.com/review/x?sort=recency", "http://127.0.0.1:8765/a b.html"])
def test_http_and_https_source_urls_are_accepted(tmp_path, url):
    assert load_settings(write(tmp_path, with_url(url)), {}).brands[0].sources[0].urls == [url]


def test_only_a_survey_reads_a_local_file(tmp_path):
    assert load_settings(write(tmp_path, with_url("file:///srv/exports/avis.csv", "survey")), {})
    message = error_of(write(tmp_path, with_url("file:///srv/exports/avis.csv", "feed")))
    assert any(line.startswith(f"{SOURCE}: ") and "http" in line for line in lines_of(message)), message
    message = error_of(write(tmp_path, with_url("file://", "survey")))
    assert any(line.startswith(f"{SOURCE}: ") for line in lines_of(message)), message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres//oops", "not a database URL"),
        ("postgresql://u@db.example/veilleur", "postgresql+psycopg://"),
        ("postgres://u@db.example/veilleur", "postgresql+psycopg://"),
        ("mysql+pymysql://u@db.example/veilleur", "sqlite or postgresql+psycopg"),
        ("sqlite://db.example/veilleur.db", "sqlite:///"),
        ("postgresql+psycopg://u@db.example:port/veilleur", "not a database URL"),
    ],
)
def test_a_database_url_we_cannot_use_is_refused_with_what_to_write(tmp_path, url, expected):
    message = error_of(write(tmp_path, GOOD + f'\n[database]\nurl = "{url}"\n'))
    line = next((line for line in lines_of(message) if line.startswith("database.url: ")), "")
    assert expected in line, message


@pytest.mark.parametrize(
    "url", ["sqlite:///var/veilleur.db", "sqlite:////srv/veilleur.db", "sqlite://", "postgresql+psycopg://u:p@h/v"]
)
def test_the_supported_database_urls_are_accepted(tmp_path, url):
    assert load_settings(write(tmp_path, GOOD + f'\n[database]\nurl = "{url}"\n'), {}).database.url == url


@pytest.mark.parametrize(("section", "key"), [("slack", "webhook_url"), ("publishing", "webhook_url")])
@pytest.mark.parametrize("url", ["not-a-url", "http://hooks.example.com/T0/B0/SECRETPART", "https://"])
def test_a_webhook_url_must_be_https_and_stays_hidden(tmp_path, section, key, url):
    text = GOOD.replace("[slack]\n", "") + f'\n[{section}]\n{key} = "{url}"\nwebhook_secret = "k"\n'
    text = text.replace('webhook_secret = "k"\n', "") if section == "slack" else text
    message = error_of(write(tmp_path, text))
    line = next((line for line in lines_of(message) if line.startswith(f"{section}.{key}: ")), "")
    assert "https://" in line, message
    assert "value hidden" in line and "SECRETPART" not in message and "not-a-url" not in message


@pytest.mark.parametrize(
    "url", ["https://hooks.slack.com/services/T0/B0/x", "http://127.0.0.1:9/hook", "http://localhost/h"]
)
def test_a_webhook_url_over_https_or_to_this_machine_is_accepted(tmp_path, url):
    text = GOOD + f'\n[publishing]\nwebhook_url = "{url}"\nwebhook_secret = "k"\n'
    settings = load_settings(write(tmp_path, text), {})
    assert settings.publishing.webhook_url == url
    assert load_settings(write(tmp_path, GOOD), {"VEILLEUR__SLACK__WEBHOOK_URL": url}).slack.webhook_url == url


def test_slack_base_url_is_checked_like_a_webhook(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace("[slack]\n", '[slack]\nbase_url = "slack.com/api"\n')))
    assert any(line.startswith("slack.base_url: ") for line in lines_of(message)), message


@pytest.mark.parametrize("host", ["smtp://mail.example.com", "mail.example.com:587", "mail example.com", "a/b"])
def test_an_smtp_host_is_a_bare_host_name(tmp_path, host):
    message = error_of(write(tmp_path, GOOD + f'\n[moderation.smtp]\nhost = "{host}"\n'))
    assert any(line.startswith("moderation.smtp.host: ") for line in lines_of(message)), message


@pytest.mark.parametrize("host", ["mail.example.com", "127.0.0.1", "::1", "smtp-relay"])
def test_smtp_host_names_and_addresses_are_accepted(tmp_path, host):
    assert load_settings(write(tmp_path, GOOD + f'\n[moderation.smtp]\nhost = "{host}"\nport = 587\n'), {})


def test_an_smtp_port_out_of_range_is_named(tmp_path):
    message = error_of(write(tmp_path, GOOD + '\n[moderation.smtp]\nhost = "mail.example.com"\nport = 0\n'))
    assert any(line.startswith("moderation.smtp.port: ") for line in lines_of(message)), message


@pytest.mark.parametrize("url", ["http://", "https://exa mple.com", "https://console.example/?x=1", "console.example"])
def test_the_public_url_is_a_full_address(tmp_path, url):
    message = error_of(write(tmp_path, GOOD + f'\n[serve]\npublic_url = "{url}"\n'))
    assert any(line.startswith("serve.public_url: ") for line in lines_of(message)), message


def test_check_settings_names_a_bad_url_without_a_traceback(tmp_path):
    path = write(tmp_path, with_url("not a url") + '\n[database]\nurl = "postgres//oops"\n')
    finished = subprocess.run(
        [sys.executable, "-m", "veilleur", "check-settings", "--settings", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert "Traceback" not in output
    assert f"{SOURCE}: " in output and "database.url: " in output

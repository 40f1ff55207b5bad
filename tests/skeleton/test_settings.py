"""Each kind of settings mistake stops start-up with a message naming the file and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings
from config.sources import KINDS

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
[crawl]
user_agent = "Veilleur-tests (+mailto:t@example.org)"

[slack]
channel = "#alerts"

[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "shop"
kind = "schema_org"
urls = ["http://127.0.0.1:1/page.html"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ or {})
    return str(caught.value)


def test_the_shipped_settings_file_is_valid():
    settings = load_settings(ROOT / "settings.toml", {})
    assert settings.brands[0].slug == "demo"
    assert settings.slack.bot_token == ""  # secrets stay empty in git


def test_a_product_is_named_as_brands_products_names_it():
    # Reports, `queue show` and the console name a product "Carottes bio, 500 g (CAROTTE-500)", not by its SKU.
    settings = load_settings(ROOT / "settings.toml", {})
    assert settings.product_label("demo", "CAROTTE-500") == "Carottes bio, 500 g (CAROTTE-500)"
    assert settings.product_label("demo", "NOT-NAMED") == "NOT-NAMED"
    assert settings.product_label("gone", "CAROTTE-500") == "CAROTTE-500"  # a brand no longer declared


def test_environment_overrides_a_key(tmp_path):
    path = write(tmp_path, GOOD)
    settings = load_settings(path, {"VEILLEUR__SLACK__BOT_TOKEN": "xoxb-1", "VEILLEUR__MODERATION__UNDO_MINUTES": "3"})
    assert settings.slack.bot_token == "xoxb-1"
    assert settings.moderation.undo_minutes == 3


def test_unknown_key_is_named(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('channel = "#alerts"', 'chanel = "#alerts"')))
    assert str(tmp_path / "settings.toml") in message
    assert "slack.chanel: unknown key" in message


def test_wrong_type_is_named_with_the_value(tmp_path):
    message = error_of(write(tmp_path, GOOD + '\n[moderation]\nreply_sla_hours = "tomorrow"\n'))
    assert "moderation.reply_sla_hours" in message and "'tomorrow'" in message


def test_missing_required_value_is_named(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('user_agent = "Veilleur-tests (+mailto:t@example.org)"', "")))
    assert "crawl.user_agent: missing required value" in message


def test_a_bad_source_names_its_brand_and_source(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('kind = "schema_org"', 'kind = "myspace"')))
    assert "brands[acme].sources[shop].kind" in message


def test_an_unknown_source_kind_lists_the_registry_kinds(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('kind = "schema_org"', 'kind = "myspace"')))
    allowed = ", ".join(repr(kind) for kind in list(KINDS)[:-1]) + f" or {list(KINDS)[-1]!r}"
    assert f"  brands[acme].sources[shop].kind: Input should be {allowed} (got 'myspace')" in message.splitlines()
    for kind in KINDS:  # and every registry kind is accepted
        load_settings(write(tmp_path, GOOD.replace('kind = "schema_org"', f'kind = "{kind}"')), {})


def test_wrong_type_from_the_environment_is_named(tmp_path):
    message = error_of(write(tmp_path, GOOD), {"VEILLEUR__SLACK__MAX_ATTEMPTS": "many"})
    assert "slack.max_attempts" in message and "'many'" in message


def test_a_mistake_from_the_environment_names_the_variable(tmp_path):
    message = error_of(write(tmp_path, GOOD), {"VEILLEUR__SLACK__MAX_ATTEMPTS": "many"})
    assert "slack.max_attempts (or environment variable VEILLEUR__SLACK__MAX_ATTEMPTS)" in message


def test_a_misspelt_section_in_the_environment_is_an_unknown_key(tmp_path):
    message = error_of(write(tmp_path, GOOD), {"VEILLEUR__SLAK__BOT_TOKEN": "xoxb-1"})
    assert "slak: unknown key" in message
    assert "expected VEILLEUR__SECTION__KEY" in error_of(write(tmp_path, GOOD), {"VEILLEUR__TOKEN": "x"})


def test_environment_values_are_read_as_toml(tmp_path):
    settings = load_settings(
        write(tmp_path, GOOD),
        {"VEILLEUR__SLACK__MODERATORS": "['U1', \"U2\"]", "VEILLEUR__MODERATION__PRODUCT_OWNERS": '{SKU1 = "a@b.fr"}'},
    )
    assert settings.slack.moderators == ["U1", "U2"]
    assert settings.moderation.product_owners == {"SKU1": "a@b.fr"}


def test_broken_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in error_of(write(tmp_path, GOOD + "\n[slack\n"))
    assert "settings file not found" in error_of(tmp_path / "nope.toml")


def test_the_command_stops_with_the_message_and_status_2(tmp_path):
    path = write(tmp_path, GOOD.replace("[slack]", "[slack]\nspeed = 3"))
    finished = subprocess.run(
        [sys.executable, "-m", "veilleur", "check-settings", "--settings", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert finished.returncode == 2
    assert "slack.speed: unknown key" in finished.stdout + finished.stderr


def test_a_rejected_secret_is_never_printed(tmp_path):
    # A token pasted where a table was expected, a secret of the wrong type from the environment.
    message = error_of(
        write(
            tmp_path, GOOD + '\n[publishing]\nwebhook_url = "https://shop.example/hook"\nwebhook_secret = 4242424242\n'
        ),
        {"VEILLEUR__SLACK__SIGNING_SECRET": "[9876543210]"},
    )
    assert "publishing.webhook_secret" in message and "slack.signing_secret" in message
    assert "4242424242" not in message and "9876543210" not in message
    assert "value hidden" in message


def test_a_section_refused_as_a_whole_is_not_echoed(tmp_path):
    users = '[[console.users]]\nname = "ann"\nrole = "admin"\npassword_hash = "pbkdf2-HASH-OF-ANN"\n' * 2
    message = error_of(
        write(tmp_path, GOOD + '\n[console]\nsecret_key = "KEEP-THIS-KEY-PRIVATE-AND-LONG-ENOUGH-123"\n' + users)
    )
    assert "console user names must be unique" in message
    assert "HASH-OF-ANN" not in message and "KEEP-THIS-KEY-PRIVATE" not in message


def lines_of(message: str) -> list[str]:
    return [line.strip() for line in message.splitlines()]


def test_an_unnamed_source_is_named_by_its_place_in_the_brand(tmp_path):
    # Without a name, "sources[0]" read like a name; the first [[brands.sources]] is #1 as a reader counts.
    message = error_of(write(tmp_path, GOOD.replace('name = "shop"\n', "")))
    assert "brands[acme].sources[#1].name: missing required value" in lines_of(message)


def test_a_brand_without_a_slug_is_named_by_its_place_not_its_display_name(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('slug = "acme"\n', "").replace("schema_org", "myspace")))
    assert "brands[#1].slug: missing required value" in lines_of(message)
    assert any(line.startswith("brands[#1].sources[shop].kind: ") for line in lines_of(message))


def test_a_slug_that_is_not_text_is_not_taken_for_a_position(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('slug = "acme"', "slug = 3")))
    assert "brands[#1].slug: Input should be a valid string (got 3)" in lines_of(message)


def test_a_name_that_is_not_a_plain_word_is_quoted(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('slug = "acme"', 'slug = "Acme Shop"')))
    assert any(line.startswith("brands['Acme Shop'].slug: String should match") for line in lines_of(message))


def test_a_brand_level_check_names_the_brand_without_pydantic_noise(tmp_path):
    twice = GOOD + '\n[[brands.sources]]\nname = "shop"\nkind = "feed"\nurls = ["https://acme.example/feed"]\n'
    message = error_of(write(tmp_path, twice))
    assert "brands[acme]: source names must be unique within a brand: shop" in lines_of(message)


def test_two_brands_with_the_same_slug_are_refused(tmp_path):
    # They used to be merged silently into one brand of the database (sync_brands looks brands up by slug).
    message = error_of(write(tmp_path, GOOD + '\n[[brands]]\nslug = "acme"\nname = "Acme bis"\n'))
    assert "brands: brand slugs must be unique: acme" in lines_of(message)


def test_a_list_set_from_the_environment_names_the_variable(tmp_path):
    topics = '[{name = "delivery", label = "Delivery", examples = ["only one"]}]'
    message = error_of(write(tmp_path, GOOD), {"VEILLEUR__REPORTS__TOPICS": topics})
    assert any(
        line.startswith("reports.topics[delivery].examples (or environment variable VEILLEUR__REPORTS__TOPICS): ")
        for line in lines_of(message)
    )


def test_the_environment_cannot_reach_into_a_list_and_says_so(tmp_path):
    message = error_of(write(tmp_path, GOOD), {"VEILLEUR__BRANDS__SOURCES__KIND": "feed"})
    assert "VEILLEUR__BRANDS__SOURCES__KIND" in message and str(tmp_path / "settings.toml") in message
    assert "brands is a list" in message


def test_a_password_in_a_database_url_query_is_never_printed(tmp_path):
    text = GOOD + '\n[database]\nurl = "postgresql+psycopg://host:badport/db?password=SECRETQUERY"\n'
    message = error_of(write(tmp_path, text))
    assert "database.url" in message and "SECRETQUERY" not in message


def test_a_key_of_control_characters_is_named_escaped(tmp_path):
    # Found by the settings fuzz test: a key "\b" was printed raw, and a terminal erased the character before it.
    path = write(tmp_path, '[crawl]\nuser_agent = "x"\n"\\u0008" = ""\n"with space" = 1\n')
    message = error_of(path)
    assert "'\\x08': unknown key" in message and "\x08" not in message
    assert "'with space': unknown key" in message

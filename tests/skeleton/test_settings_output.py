"""What the commands print about settings: user text exactly as written (never read as Rich markup), a file
with no brand refused where a brand is needed, and a SettingsError (never a traceback) for files that are not
settings at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.settings import SettingsError, load_settings
from tests.skeleton.test_settings import GOOD, ROOT, error_of, write
from veilleur.cli import app


def check_settings(path: Path) -> tuple[int, str]:
    finished = subprocess.run(
        [sys.executable, "-m", "veilleur", "check-settings", "--settings", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return finished.returncode, finished.stdout + finished.stderr


def test_a_value_holding_markup_is_printed_as_written(tmp_path):
    code, output = check_settings(write(tmp_path, GOOD.replace('channel = "#alerts"', 'channel = ["[/x]", "[red]"]')))
    assert code == 2 and "Traceback" not in output, output
    assert "slack.channel: " in output
    code, output = check_settings(write(tmp_path, GOOD.replace('name = "shop"', 'name = "[/x]"')))
    assert code == 2 and "Traceback" not in output, output
    assert "brands[acme].sources['[/x]'].name: " in output and "(got '[/x]')" in output


def test_a_path_holding_markup_is_printed_as_written(tmp_path):
    folder = tmp_path / "x[" / "y]"
    folder.mkdir(parents=True)
    code, output = check_settings(write(folder, GOOD))
    assert code == 0, output
    assert f"{folder / 'settings.toml'}: ok (1 brands, 1 sources)" in output.replace("\n", "")


def test_a_command_quoting_a_name_from_the_command_line_prints_it_as_written(tmp_path):
    path = write(tmp_path, GOOD + '\n[database]\nurl = "sqlite:///db.sqlite"\n')
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["crawl", "acme", "[/x]", "--settings", str(path)])
    assert result.exit_code == 2, result.output
    assert "no source '[/x]' in brand 'acme'" in result.output


def test_a_file_with_no_brand_is_refused_by_commands_that_need_one(tmp_path):
    path = write(tmp_path, GOOD.split("[[brands]]")[0])
    code, output = check_settings(path)
    assert code == 2, output
    assert str(path) in output and "no brand" in output and "[[brands]]" in output
    with pytest.raises(SettingsError, match="no brand"):
        load_settings(path, {}, need_brand=True)
    assert load_settings(path, {}).brands == []  # the classifier's commands need none


def test_a_folder_instead_of_a_file_is_a_settings_error(tmp_path):
    message = error_of(tmp_path)
    assert str(tmp_path) in message and "a folder" in message


def test_a_time_zone_naming_a_folder_is_a_settings_error(tmp_path):
    # ZoneInfo("Europe") raises IsADirectoryError, which the validator did not expect.
    message = error_of(write(tmp_path, GOOD.replace("[slack]", '[slack]\ntimezone = "Europe"')))
    assert "slack.timezone: " in message and "unknown time zone" in message


def test_deeply_nested_values_are_a_settings_error(tmp_path):
    deep = "[" * 2000 + "]" * 2000
    assert "not valid TOML" in error_of(write(tmp_path, GOOD + f"\n[demo]\nhost = {deep}\n"))
    message = error_of(write(tmp_path, GOOD), {"VEILLEUR__DEMO__HOST": deep})
    assert "VEILLEUR__DEMO__HOST" in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://veilleur@127.0.0.1:1/veilleur",  # nothing listens on port 1
        "sqlite:////proc/veilleur-cannot-write-here/veilleur.db",
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line_naming_the_key(tmp_path, url):
    path = write(tmp_path, GOOD + f'\n[database]\nurl = "{url}"\n')
    finished = subprocess.run(
        [sys.executable, "-m", "veilleur", "status", "--settings", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2 and "Traceback" not in output, output
    assert f"{path}: database.url: cannot open the database: " in output


def test_a_demo_port_already_taken_is_one_line_naming_the_key(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write(
            tmp_path,
            GOOD + f'\n[database]\nurl = "sqlite:///db.sqlite"\n\n[demo]\nport = {port}\npages_dir = "{tmp_path}"\n',
        )
        result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["demo", "--settings", str(path)])
    assert result.exit_code == 2, result.output
    assert f"[demo] port, host or pages_dir: cannot serve pages on 127.0.0.1:{port}: Address already in use" in (
        result.output
    )
    assert "Traceback" not in result.output

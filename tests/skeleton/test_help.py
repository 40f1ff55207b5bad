"""`veilleur ... --help` prints every command's text as written. Help texts name settings as "[section] key":
with Typer's default Rich markup, "[distributed] broker_url" printed as " broker_url" (the section read as a
style tag and dropped), and "[console] users" as " users"."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from veilleur.cli import app


def _commands(command, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, command
    if hasattr(command, "commands"):  # a group (Typer ships its own copy of click's classes)
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _words(text: str) -> list[str]:
    # Markdown shows `code` without its backticks; every other character must come out as written.
    return re.findall(r"[^\s`]+", text.split("\f")[0])


def test_every_help_text_prints_its_words_and_brackets_as_written():
    runner = CliRunner(env={"COLUMNS": "400", "TERM": "dumb", "NO_COLOR": "1"})
    checked = 0
    for path, command in _commands(typer.main.get_command(app)):
        texts = [command.help or ""] + [
            param.help for param in command.params if param.param_type_name == "option" and param.help
        ]
        assert command.help, f"veilleur {' '.join(path)} has no help"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        printed = " ".join(result.output.replace("│", " ").split())
        for text in texts:
            missing = [word for word in _words(text) if word not in printed]
            assert not missing, f"veilleur {' '.join(path)} --help lost {missing} of {text!r}"
            checked += 1
    assert checked > 60  # the whole tree was walked, not just the top
    # The case that was broken, by name.
    printed = " ".join(runner.invoke(app, ["worker", "--help"]).output.split())
    assert "With [distributed] broker_url set" in printed

"""Whatever the settings file holds, loading it gives valid settings or a SettingsError naming the file: never
another exception, never a traceback. Files are made by mutating real ones (the repository's settings.toml and
the tests' settings): wrong types, unknown keys, missing keys, huge values, markup, broken TOML, bytes that are
not UTF-8, environment overrides."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from config.settings import Settings, SettingsError, load_settings
from tests.conftest import write_settings
from tests.skeleton.test_settings import GOOD, ROOT
from veilleur.commands.common import print_error

MARKUP = ["[/x]", "[red]", "[/]", "[bold", "]", "[link=x]", "\\[", ":smile:"]


def _bases(folder: Path) -> list[dict[str, Any]]:
    texts = [(ROOT / "settings.toml").read_text(encoding="utf-8"), GOOD]
    texts.append(write_settings(folder, "sqlite:///x.db", GOOD.split("[crawl]")[0]).read_text(encoding="utf-8"))
    return [tomllib.loads(text) for text in texts]


def toml_string(text: str) -> str:
    escaped = "".join(
        f"\\u{ord(c):04x}" if ord(c) < 0x20 or c == "\x7f" else "\\\\" if c == "\\" else '\\"' if c == '"' else c
        for c in text
    )
    return f'"{escaped}"'


def toml_value(value: Any) -> str:
    """Any value as inline TOML (the file is one `key = value` line per top-level key)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{toml_string(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_file(document: dict[str, Any]) -> str:
    return "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in document.items())


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found += paths(child, (*prefix, key))
    return found


text_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(MARKUP).map(lambda m: f"x{m}y"),
    st.sampled_from(["not a url", "postgres//oops", "file:///etc/passwd", "http://", "Europe", "../..", "\x00"]),
    st.integers(min_value=1, max_value=200_000).map(lambda n: "a" * n),
)
scalars = st.one_of(
    text_values,
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_values, inner, max_size=3), max_leaves=6
)


@st.composite
def documents(draw: st.DrawFn, bases: list[dict[str, Any]]) -> bytes:
    document = json.loads(json.dumps(draw(st.sampled_from(bases)), default=str))  # a deep copy
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.sampled_from(paths(document)))
        *parents, last = where
        node: Any = document
        for key in parents:
            node = node[key]
        action = draw(st.sampled_from(["replace", "delete", "unknown", "wrap"]))
        if action == "replace":
            node[last] = draw(values)
        elif action == "delete" and isinstance(node, dict):
            del node[last]
        elif action == "unknown" and isinstance(node, dict):
            node[draw(text_values)] = draw(values)
        elif action == "wrap":
            node[last] = [node[last]]
    data = toml_file(document).encode("utf-8", errors="surrogatepass")
    edit = draw(st.sampled_from(["none", "none", "insert", "truncate"]))
    at = draw(st.integers(min_value=0, max_value=len(data)))
    if edit == "insert":
        noise = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"\xff\xfe", b"[", b"\n[x"]))
        data = data[:at] + noise + data[at:]
    elif edit == "truncate":
        data = data[:at]
    return data


environments = st.dictionaries(
    st.sampled_from(["SLACK", "DATABASE", "BRANDS", "CRAWL", "X"]).flatmap(
        lambda section: st.sampled_from(["URL", "CHANNEL", "BASE_URL", "TIMEZONE", "SLUG", ""]).map(
            lambda key: f"VEILLEUR__{section}__{key}"
        )
    ),
    text_values,
    max_size=2,
)


def check(path: Path, environ: dict[str, str], need_brand: bool) -> None:
    try:
        loaded = load_settings(path, environ, need_brand=need_brand)
    except SettingsError as error:
        assert str(path) in str(error)
        printed = io.StringIO()
        print_error(Console(file=printed, width=100), str(error))  # as the commands print it: no markup error
        assert "".join(str(error).split()) in "".join(printed.getvalue().split())  # every character, as written
    else:
        assert isinstance(loaded, Settings)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# derandomize: the same 200 files on every run; no example database written into the repository.
@settings(
    max_examples=200, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_settings_file_loads_or_names_the_file(folder, data):
    path = folder / "settings.toml"
    path.write_bytes(data.draw(documents(_bases(folder))))
    check(path, data.draw(environments), data.draw(st.booleans()))


@pytest.mark.parametrize("name", ["a folder", "missing", "not utf-8", "markup", "no brand", "deep", "huge", "empty"])
def test_fixed_cases_in_process_and_through_the_command(tmp_path, name):
    path = tmp_path / "settings.toml"
    if name == "a folder":
        path.mkdir()
    elif name == "not utf-8":
        path.write_bytes(GOOD.encode() + b'\n[demo]\nhost = "\xff\xfe"\n')
    elif name == "markup":
        path.write_text(GOOD.replace('"#alerts"', '"[/x][red]"').replace('"acme"', '"[/acme]"'), encoding="utf-8")
    elif name == "no brand":
        path.write_text(GOOD.split("[[brands]]")[0], encoding="utf-8")
    elif name == "deep":
        path.write_text(GOOD + "\n[demo]\nhost = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    elif name == "huge":
        path.write_text(GOOD + f'\n[demo]\nport = {"9" * 5000}\nhost = "{"h" * 1_000_000}"\n', encoding="utf-8")
    elif name == "empty":
        path.write_bytes(b"")
    check(path, {}, need_brand=True)
    finished = subprocess.run(
        [sys.executable, "-m", "veilleur", "check-settings", "--settings", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2 and "Traceback" not in output, output
    assert str(path) in output.replace("\n", "")

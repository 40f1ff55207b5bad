"""`VEILLEUR__SECTION__KEY` variables laid over the file's settings."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from config.errors import ENV_PREFIX, SettingsError


def apply_environment(raw: dict[str, Any], environ: dict[str, str], path: Path) -> None:
    """VEILLEUR__SLACK__BOT_TOKEN=x sets [slack] bot_token. Values are read as TOML when they parse, else text.

    Not pydantic-settings' EnvSettingsSource: it reads lists and tables as JSON (not TOML), silently ignores a
    variable whose section is misspelt (VEILLEUR__SLAK__BOT_TOKEN) or missing (VEILLEUR__TOKEN), and reads only
    os.environ; keeping these promises would take more code than this loop."""
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if len(keys) < 2 or not all(keys):
            raise SettingsError(f"{path}: environment variable {name}: expected VEILLEUR__SECTION__KEY")
        section = raw
        for depth, key in enumerate(keys[:-1], start=1):
            child = section.setdefault(key, {})
            where = ".".join(keys[:depth])
            if isinstance(child, list):
                raise SettingsError(
                    f"{path}: environment variable {name}: {where} is a list in the file; a variable can set a key"
                    f" of a table, not of one list item: set it in the file, or set the whole {where} in"
                    f" {ENV_PREFIX}{'__'.join(keys[:depth]).upper()}"
                )
            if not isinstance(child, dict):
                raise SettingsError(f"{path}: environment variable {name}: [{where}] in the file is not a table")
            section = child
        try:
            section[keys[-1]] = _parse_env_value(value)
        except RecursionError:
            raise SettingsError(f"{path}: environment variable {name}: arrays or tables nested too deep") from None


def _parse_env_value(value: str) -> Any:
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except ValueError:  # not TOML (TOMLDecodeError), or an integer too long for Python to read: text
        return value

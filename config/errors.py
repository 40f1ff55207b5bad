"""A settings error as a reader of the file looks for it: the file, the key as written
(brands[demo].sources[shop].kind), the environment variable that set it, the value refused (never a secret)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

ENV_PREFIX = "VEILLEUR__"


class SettingsError(Exception):
    """A broken settings file or environment override. The message names the file and the key."""


def describe(error: ValidationError, path: Path, raw: dict[str, Any], environ: dict[str, str]) -> str:
    lines = [f"{path}: invalid settings"]
    for problem in error.errors():
        loc, value = problem["loc"], problem.get("input")
        if problem["type"] == "settings_key":
            loc, value = (*loc, *problem["ctx"]["at"]), problem["ctx"]["value"]
        kind = problem["type"]
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "missing required value"
        else:
            message = f"{problem['msg'].removeprefix('Value error, ')}{_got(loc, value)}"
        lines.append(f"  {_key_name(loc, raw)}{_env_hint(loc, environ)}: {message}")
    return "\n".join(lines)


def _env_hint(loc: tuple[Any, ...], environ: dict[str, str]) -> str:
    """' (or environment variable X)' when X set this key or a table or list holding it."""
    names: list[str] = []
    for part in loc:
        if not isinstance(part, str):
            break  # a variable cannot reach inside a list
        names.append(part.upper())
        if ENV_PREFIX + "__".join(names) in environ:
            return f" (or environment variable {ENV_PREFIX + '__'.join(names)})"
    return ""


# A key whose name says it holds a secret: its value is never printed, even when it is the one rejected.
SECRET_KEY = re.compile(r"secret|token|password|webhook_url|smtp_url", re.IGNORECASE)
# user:password@ in a URL (a database URL, say): the password is left out of what is printed.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@/\s]*@")


def _got(loc: tuple[Any, ...], value: Any) -> str:
    """' (got ...)' to show which value was refused, with secrets left out; nothing for a whole section."""
    named = [part for part in loc if isinstance(part, str)]
    if named and SECRET_KEY.search(named[-1]):
        return " (value hidden: it is a secret)"
    if isinstance(value, dict | list):
        return ""  # a section or a list failed as a whole (e.g. duplicate users): it may hold secrets
    if isinstance(value, str):
        value = _URL_PASSWORD.sub(r"\1***@", value)
        if "://" in value and "?" in value:  # a query may carry a password (?password=...): never printed
            value = value.split("?", 1)[0] + "?***"
    return f" (got {value!r})"


# The key that names the items of a list, as the reader of the file knows them; other lists: "name".
_NAMED_BY = {"brands": "slug"}


def _key_name(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """('brands', 0, 'sources', 1, 'kind') -> brands[demo].sources[shop].kind, as a user would look for it.
    An item without a usable name is shown by its place, counted from 1: brands[demo].sources[#2]."""
    parts: list[str] = []
    node: Any = raw
    for part in loc:
        if isinstance(part, int) and parts:
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            label = item.get(_NAMED_BY.get(parts[-1].split("[")[0], "name")) if isinstance(item, dict) else None
            if not isinstance(label, str) or not label:
                label = f"#{part + 1}"
            elif not re.fullmatch(r"[\w.@-]+", label):
                label = repr(label)
            parts[-1] += f"[{label}]"
            node = item
        else:
            # A key of control characters or spaces is quoted and escaped, so that the terminal shows it as it is.
            parts.append(str(part) if re.fullmatch(r"[\w.@-]+", str(part)) else repr(str(part)))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)

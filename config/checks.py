"""What every settings section shares: the strict base model, the checks of URLs, hosts and database URLs
written in settings, and an error about one key of a section (config/errors.py names it in the message)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Checks of URLs and hosts in settings (not of URLs found in crawled pages: crawlers check those themselves).
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_EXAMPLE_DATABASES = '"sqlite:///var/veilleur.db" or "postgresql+psycopg://user@host/veilleur"'


def url_problem(url: str, schemes: tuple[str, ...], local_http: bool = False) -> str:
    """Why `url` is not an absolute URL with one of `schemes` (and a host, or a path for file://); "" if it is.
    local_http: http:// is accepted only to this machine (the tests' fake servers), else https:// is required."""
    expected = " or ".join(f"{scheme}://" for scheme in schemes)
    if local_http:
        expected += " (http:// only to 127.0.0.1 or localhost)"
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return "holds a control character"
    if url != url.strip():
        return "starts or ends with a space"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number from 0 to 65535)
    except ValueError as error:
        return f"not a URL ({error}): expected {expected}"
    scheme = parts.scheme.lower()
    local = local_http and scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if scheme not in schemes and not local:
        return f"expected a URL starting with {expected}"
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or len(parts.path) < 2:
            return "expected file:///absolute/path/of/the/export"
        return ""
    if not parts.hostname:
        return f"no host name: expected {scheme}://host/..."
    if any(char.isspace() for char in parts.netloc):
        return "the host name holds a space"
    return ""


def host_problem(host: str) -> str:
    """Why `host` is not a bare host name or IP address (what smtplib connects to); "" if it is."""
    try:
        ipaddress.ip_address(host)
        return ""
    except ValueError:
        pass
    if "://" in host:
        return "a host name only, without scheme (e.g. smtp.example.com)"
    if ":" in host:
        return "a host name only: put the port in `port`"
    if not re.fullmatch(r"[\w-]+(\.[\w-]+)*\.?", host):
        return "not a host name (e.g. smtp.example.com)"
    return ""


def database_url_problem(url: str) -> str:
    """Why `url` is not a database URL Veilleur can open; "" if it is."""
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return "holds a control character"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return f"not a database URL: expected e.g. {_EXAMPLE_DATABASES}"
    driver = parsed.drivername
    if driver in ("postgres", "postgresql") or driver.startswith(("postgresql+", "postgres+")):
        if driver != "postgresql+psycopg":
            return "write postgresql+psycopg://... (psycopg 3, the PostgreSQL driver Veilleur installs)"
    elif driver == "sqlite":
        if parsed.host or parsed.username or parsed.password or parsed.port:
            return 'a SQLite URL has no host: "sqlite:///relative/path.db" or "sqlite:////absolute/path.db"'
    else:
        return "unsupported database: use sqlite or postgresql+psycopg"
    return ""


def checked(value: str, problem: str) -> str:
    if problem:
        raise ValueError(problem)
    return value


def key_error(at: tuple[str | int, ...], value: Any, problem: str) -> PydanticCustomError:
    """An error found by a check of a whole section about one of its keys (`at`, inside the section): the
    message names that key, as if the key's own validator had raised it."""
    return PydanticCustomError("settings_key", "{problem}", {"problem": problem, "at": at, "value": value})

"""Source kinds live in one registry (config/sources.py): each is a spider of the same name in
crawlers/spiders/<kind>.py, each spider there is a kind, and the docs describe each one."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import scrapy

import crawlers.spiders
from config.sources import KINDS, reach_unit

ROOT = Path(__file__).resolve().parents[2]
NOT_A_KIND = {"base"}  # the spiders' shared base class


def spiders_by_file() -> dict[str, list[str]]:
    """Each module of crawlers/spiders -> the names of the spiders it defines (not those it imports)."""
    found = {}
    for module_info in pkgutil.iter_modules(crawlers.spiders.__path__):
        module = importlib.import_module(f"crawlers.spiders.{module_info.name}")
        found[module_info.name] = [
            value.name
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, scrapy.Spider)
            and value.__module__ == module.__name__
            and getattr(value, "name", None)
        ]
    return found


def test_every_kind_is_a_spider_of_its_name_in_its_own_file():
    spiders = spiders_by_file()
    for kind in KINDS:
        assert spiders.get(kind) == [kind], f"crawlers/spiders/{kind}.py should define the spider {kind!r}"


def test_every_spider_file_is_a_kind():
    assert set(spiders_by_file()) - NOT_A_KIND == set(KINDS)


def test_every_kind_is_described():
    for kind in KINDS.values():
        assert kind.name == kind.name.strip() and kind.summary.strip() and "\n" not in kind.summary
    docs = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    table = docs[docs.index("\n## Kinds\n") :].split("\n## ", 2)[1]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
    assert documented == list(KINDS)  # one row per kind, in the registry's order
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"`{kind}`" in readme for kind in KINDS)


def test_reach_units():
    assert reach_unit("mastodon") == "followers"
    assert reach_unit("trustpilot") == ""  # a review has no reach
    assert reach_unit("myspace") == ""  # an alert stored before its kind left the list

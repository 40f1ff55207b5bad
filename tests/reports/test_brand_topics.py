"""A topic list per brand (issue 18): `[[brands]] industry` and `[[brands.topics]]`. Each brand's mentions (its
competitors' sources too) are tagged with its own list by the worker's `topics` job, a change of one brand's list
re-tags that brand alone, and each brand's report shows its own topics and says which list tagged them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import SettingsError, load_settings
from models import Brand, Mention, MentionKind, MentionTopic, Source
from reports import output
from reports.build import build_report
from reports.tagging import topic_lists
from reports.topic_list import industry_topics
from reports.topics import OTHER, brand_topics, topics_from
from scheduler import jobs
from tests.conftest import write_settings

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday: the report covers whole days, as the weekly one
END = START + timedelta(days=7)
CUSTOM = '[[reports.topics]]\nname = "drive"\nlabel = "Drive"\nexamples = ["le drive", "the drive-through"]\n'


SPA = """
[[brands.topics]]
name = "spa"
label = "Spa and pool"
examples = ["le spa et la piscine", "the spa and the pool"]
"""


def body(inn_industry: str | None = "hotel", spa: str = SPA) -> str:
    """A restaurant (the [reports] default) and an inn on its own industry, with a competitor's page."""
    industry = "" if inn_industry is None else f'industry = "{inn_industry}"'
    return f"""
[[brands]]
slug = "grill"
name = "Grill"

[[brands.sources]]
name = "reviews"
kind = "trustpilot"
urls = ["http://127.0.0.1:9/grill"]

[[brands]]
slug = "inn"
name = "Inn"
{industry}
{spa}
[[brands.sources]]
name = "reviews"
kind = "trustpilot"
urls = ["http://127.0.0.1:9/inn"]

[[brands.sources]]
name = "rival"
kind = "trustpilot"
urls = ["http://127.0.0.1:9/rival"]
competitor = "Rival Inn"
"""


def names(industry: str) -> set[str]:
    return {str(topic["name"]) for topic in industry_topics(industry)[0]}


def settings_file(tmp_path: Path, database_url: str, inn_industry: str = "hotel") -> Path:
    return write_settings(tmp_path, database_url, body(inn_industry), reports=f'industry = "restaurant"\n{CUSTOM}')


# --- Settings -------------------------------------------------------------------------------------------------


def test_each_brand_gets_its_own_list(tmp_path: Path) -> None:
    settings = load_settings(settings_file(tmp_path, "sqlite://"), environ={})
    options = output.options_for(settings)
    grill = {t.name: t.origin for t in options.topics_for("grill")}
    inn = {t.name: t.origin for t in options.topics_for("inn")}
    # The default brand: [reports] industry and [[reports.topics]].
    assert set(grill) == names("restaurant") | {"drive"} and grill["drive"] == "custom"
    # Its own industry, extended by its own topics; the [reports] topics belong to the restaurant list.
    assert set(inn) == names("hotel") | {"spa"} and inn["room"] == "hotel.v1" and inn["spa"] == "custom"
    assert options.topics_for("unknown") == options.topics  # a brand not in settings: the default list


def test_a_brand_on_the_default_industry_keeps_the_shared_topics_and_may_override_them(tmp_path: Path) -> None:
    text = body("restaurant").replace('label = "Spa and pool"', 'label = "Terrace"').replace('"spa"', '"drive"')
    settings = load_settings(
        write_settings(tmp_path, "sqlite://", text, reports=f'industry = "restaurant"\n{CUSTOM}'), environ={}
    )
    inn = {t.name: t.label for t in brand_topics(settings.reports, settings.brand("inn"))}
    assert set(inn) == names("restaurant") | {"drive"} and inn["drive"] == "Terrace"  # the brand's own wins
    # Both brands on one industry but different lists: two lists; without brand topics they would share one.
    assert len(topic_lists(settings)) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('industry = "hotel"', 'industry = "casino"'),
            "brands[inn].industry: unknown industry 'casino': one of retail, restaurant, hotel, app, bank, telecom,"
            " or 'none' (got 'casino')",
        ),
        (
            ('industry = "hotel"', "industry = 3"),
            "brands[inn].industry: Input should be a valid string (got 3)",
        ),
        (
            ('name = "spa"', 'name = "other"'),
            "brands[inn].topics: topic names must be unique and not 'other': other",
        ),
        (
            ('examples = ["le spa et la piscine", "the spa and the pool"]', 'examples = ["le spa"]'),
            "brands[inn].topics[spa].examples: List should have at least 2 items after validation, not 1",
        ),
    ],
)
def test_a_wrong_brand_industry_or_topic_is_refused_naming_the_key(tmp_path: Path, change, expected) -> None:
    text = body().replace(*change)
    path = write_settings(tmp_path, "sqlite://", text)
    with pytest.raises(SettingsError) as raised:
        load_settings(path, environ={})
    assert expected in str(raised.value).splitlines()[1]


def test_a_brand_on_industry_none_needs_its_own_topics(tmp_path: Path) -> None:
    no_topics = body("none", spa="")
    with pytest.raises(SettingsError) as raised:
        load_settings(write_settings(tmp_path, "sqlite://", no_topics), environ={})
    assert "brands[inn].industry: 'none' needs [[brands.topics]]: no topic would be tagged (got 'none')" in str(
        raised.value
    )
    settings = load_settings(write_settings(tmp_path, "sqlite://", body("none")), environ={})
    assert [t.name for t in brand_topics(settings.reports, settings.brand("inn"))] == ["spa"]


def test_without_brand_industries_there_is_one_list_over_every_mention(tmp_path: Path) -> None:
    """Settings from before lists per brand: the topics job does what it did (one list, no scope)."""
    text = body(None, spa="")
    settings = load_settings(write_settings(tmp_path, "sqlite://", text), environ={})
    [only] = topic_lists(settings)
    assert list(only.topics) == topics_from(settings.reports.topics, "retail") and only.scope == ()
    assert only.slugs == ("grill", "inn")


# --- Tagging and reports, with the real encoder on a real database ---------------------------------------------

GRILL = [
    "Le burger était froid et les frites trop salées.",
    "The waiter was rude and we waited an hour for our table.",
]
INN = [
    "La chambre était sale et le lit inconfortable.",
    "The room was spotless and the bed very comfortable.",
]
RIVAL = ["Le petit déjeuner de l'hôtel était délicieux."]


def _add(context: jobs.Context) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    with context.sessions.begin() as session:
        sources = {
            (brand, name): source_id
            for brand, name, source_id in session.execute(select(Brand.slug, Source.name, Source.id).join(Brand))
        }
        for key, texts in {("grill", "reviews"): GRILL, ("inn", "reviews"): INN, ("inn", "rival"): RIVAL}.items():
            for number, text in enumerate(texts):
                mention = Mention(
                    source_id=sources[key],
                    external_id=f"{key[1]}-{number}",
                    kind=MentionKind.REVIEW,
                    text=text,
                    published_at=START + timedelta(days=1, hours=number),
                )
                session.add(mention)
                session.flush()
                ids.setdefault(key[0], []).append(mention.id)
    return ids


def _tags(context: jobs.Context, ids: list[int]) -> dict[str, set[str]]:
    """Per tagger version: the topics given to these mentions."""
    found: dict[str, set[str]] = {}
    with context.sessions() as session:
        for version, topic in session.execute(
            select(MentionTopic.version, MentionTopic.topic).where(MentionTopic.mention_id.in_(ids))
        ):
            found.setdefault(version, set()).add(topic)
    return found


def _report_lists(context: jobs.Context, slug: str, rollups: bool) -> tuple[str | None, set[str]]:
    """The report's "topic list" line and its topics; its competitors' topics come from the same list."""
    options = output.options_for(context.settings)
    with context.sessions.begin() as session:
        report = build_report(session, slug, START, END, replace(options, rollups=rollups), now=END)
    labels = {t.label for t in report.topics}
    for competitor in report.competitors:
        assert set(competitor.topics) <= labels
    if slug == "inn" and report.topic_lists == "hotel.v1+custom":  # its breakfast, under the hotel's topic
        assert [dict(c.topics) for c in report.competitors] == [{"Breakfast and restaurant": 1}]
    return report.topic_lists, {t.name for t in report.topics}


@pytest.mark.model
def test_two_brands_two_lists_and_a_change_re_tags_only_its_brand(tmp_path: Path, database_url: str) -> None:
    path = settings_file(tmp_path, database_url)
    context = jobs.Context(load_settings(path, environ={}), path)
    try:
        ids = _add(context)
        assert jobs.tag_topics(context) == 5
        grill, inn = _tags(context, ids["grill"]), _tags(context, ids["inn"])
        [(grill_version, grill_topics)] = grill.items()
        [(inn_version, inn_topics)] = inn.items()  # the competitor's page too: the brand's list
        assert "|restaurant.v1+custom|" in grill_version and "|hotel.v1+custom|" in inn_version
        assert grill_topics <= names("restaurant") | {OTHER} and grill_topics - {OTHER}
        assert inn_topics <= names("hotel") | {"spa", OTHER} and inn_topics - {OTHER}
        # One tagger per list, both on the process's one encoder.
        taggers = list(context.tagger(dict).values())
        assert len(taggers) == 2 and taggers[0].encoder is taggers[1].encoder
        assert jobs.tag_topics(context) == 0  # each mention tagged once for its brand's list

        # Each report shows its own list, from the rollups and from the rows alike, and says which list tagged it.
        for rollups in (True, False):
            assert _report_lists(context, "grill", rollups) == ("restaurant.v1+custom", names("restaurant") | {"drive"})
            assert _report_lists(context, "inn", rollups) == ("hotel.v1+custom", names("hotel") | {"spa"})
        page = jobs.report(context, "inn", START, END, tmp_path / "inn.html").read_text(encoding="utf-8")
        assert "topic list hotel.v1+custom." in page and "Spa and pool" in page
        assert "Waiting time" not in page  # the restaurant's topic: not in the inn's report
    finally:
        context.close()

    # The inn changes industry (a restarted worker reads the new settings): only its mentions are re-tagged.
    path = settings_file(tmp_path, database_url, inn_industry="retail")
    context = jobs.Context(load_settings(path, environ={}), path)
    try:
        assert jobs.tag_topics(context) == 3  # the inn's two reviews and its competitor's one
        assert set(_tags(context, ids["grill"])) == {grill_version}
        retagged = _tags(context, ids["inn"])
        assert set(retagged) - {inn_version} and all("|retail.v1+custom|" in v for v in set(retagged) - {inn_version})
        # Both versions cover the whole period now: the report reads the brand's current list, not the old one.
        for rollups in (True, False):
            assert _report_lists(context, "inn", rollups) == ("retail.v1+custom", names("retail") | {"spa"})
            assert _report_lists(context, "grill", rollups)[0] == "restaurant.v1+custom"
    finally:
        context.close()


@pytest.mark.model
def test_the_vegetable_box_of_the_issue_is_a_delivery_not_a_restaurant_hygiene_issue(
    tmp_path: Path, database_url: str
) -> None:
    """Issue 18: "Les carottes sont arrivées molles" stood under the restaurant list's "Cleanliness and hygiene"
    for every brand of the deployment. A retail brand next to the restaurant now has its own list."""
    path = settings_file(tmp_path, database_url, inn_industry="retail")
    context = jobs.Context(load_settings(path, environ={}), path)
    text = "Les carottes sont arrivées molles."
    try:
        with context.sessions.begin() as session:
            for slug in ("grill", "inn"):
                source = session.scalars(
                    select(Source).join(Brand).where(Brand.slug == slug, Source.name == "reviews")
                ).one()
                session.add(Mention(source_id=source.id, external_id="carrots", kind=MentionKind.REVIEW, text=text))
        assert jobs.tag_topics(context) == 2
        with context.sessions() as session:
            tagged = dict(
                session.execute(
                    select(Brand.slug, MentionTopic.topic)
                    .join(Mention, Mention.id == MentionTopic.mention_id)
                    .join(Source, Source.id == Mention.source_id)
                    .join(Brand, Brand.id == Source.brand_id)
                ).all()
            )
        # The grill keeps the restaurant list, where both brands' mentions stood before.
        assert tagged == {"inn": "delivery", "grill": "cleanliness"}
    finally:
        context.close()

"""A brand's settings: its query, its sources, its products (`[[brands]]`, `[[brands.sources]]`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from config.brand_query import BrandQuery, Term, parse_near
from config.checks import Section, key_error, url_problem
from config.sources import KINDS
from config.topic_settings import TopicSettings, known_industry, topic_name_problem


class QuerySettings(Section):
    """A brand query (config/brand_query.py): terms and "phrases", any of / all of / none of / near."""

    any: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    near: list[list[Any]] = Field(default_factory=list)  # ["word", "word", N]: checked below

    @model_validator(mode="after")
    def _parsable(self) -> QuerySettings:
        for key in ("any", "all", "none"):
            for index, entry in enumerate(getattr(self, key)):
                try:
                    Term.parse(entry)
                except ValueError as error:
                    raise key_error((key, index), entry, str(error)) from None
        for index, near in enumerate(self.near):
            try:
                parse_near(near)
            except ValueError as error:
                raise key_error(("near", index), near, str(error)) from None
        if not (self.any or self.all or self.near):
            # Only `none`: every mention of a search would pass but the few excluded, which is not a query.
            raise ValueError("a query needs `any`, `all` or `near` terms (with `none` alone everything passes)")
        return self

    def compiled(self) -> BrandQuery:
        return BrandQuery(
            tuple(Term.parse(t) for t in self.any),
            tuple(Term.parse(t) for t in self.all),
            tuple(Term.parse(t) for t in self.none),
            tuple(parse_near(n) for n in self.near),
        )


class SourceSettings(Section):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: str  # one of config/sources.py
    urls: list[str] = Field(min_length=1)
    # Reviews the brand collected itself (its post-purchase survey, its own site): they may be published.
    own: bool = False
    # Every author of this source agreed to publication when writing (e.g. your own site's review form).
    consent: bool = False
    interval_minutes: int = Field(default=60, ge=1)
    max_pages: int = Field(default=5, ge=1)
    # This source's own brand query, instead of the brand's (e.g. a stricter one for a noisy search).
    query: QuerySettings | None = None
    # A competitor's public page, named by the competitor ("Panier Vert"): crawled and classified like the
    # brand's own, compared side by side in reports, but never moderated, answered, published or alerted.
    competitor: str = Field(default="", max_length=200)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            # The same error a Literal gives, so the message lists the kinds: "Input should be 'a', 'b' or 'c'".
            names = [repr(name) for name in KINDS]
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": f"{', '.join(names[:-1])} or {names[-1]}"}
            )
        return kind

    @model_validator(mode="after")
    def _competitor_not_own(self) -> SourceSettings:
        # The brand may publish its own reviews; a competitor's are only compared.
        if self.competitor and (self.own or self.consent):
            raise key_error(("competitor",), self.competitor, "a competitor's source cannot be own or consent")
        return self

    @model_validator(mode="after")
    def _crawlable_urls(self) -> SourceSettings:
        # Checked with the kind: only a kind that reads local files (a survey export) may name a file:// URL.
        schemes = ("http", "https", "file") if KINDS[self.kind].local_files else ("http", "https")
        for index, url in enumerate(self.urls):
            problem = url_problem(url, schemes)
            if problem:
                raise key_error(("urls", index), url, problem)
        return self


def product_label(names: Mapping[str, str], reference: str) -> str:
    """How moderators and reports name a product: "Carottes bio, 500 g (CAROTTE-500)" when `[brands.products]`
    names it, else the reference alone. (The public widget shows the name only.)"""
    name = names.get(reference)
    return f"{name} ({reference})" if name else reference


class BrandSettings(Section):
    slug: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    # Which posts speak of the brand (README, "Brand queries"). Reviews need none: they come from the brand's own
    # review pages; a source's own `query` applies to all it collects.
    query: QuerySettings | None = None
    # What the brand is, in a sentence or two (either language), and what its name also means: the relevance
    # score compares each post with them (moderation/relevance). Empty `about`: no score, the query alone.
    about: str = ""
    not_about: list[str] = Field(default_factory=list)
    sources: list[SourceSettings] = Field(default_factory=list)
    # "product reference" = "name": the published widget shows a product by its name, never its reference, and
    # marks it up as a schema.org Product (a review of a product without a name here is shown without it).
    products: dict[str, str] = Field(default_factory=dict)
    # The brand's topic list (reports/topic_lists/INDUSTRY.toml, or "none" for `topics` alone). Unset: [reports]
    # industry, with [[reports.topics]]. `topics` extend the brand's list as [[reports.topics]] extend the default.
    # Changing either re-tags this brand's mentions (and its competitors' sources), no other brand's.
    industry: str | None = None
    topics: list[TopicSettings] = Field(default_factory=list)

    @field_validator("industry")
    @classmethod
    def _known_industry(cls, industry: str | None) -> str | None:
        return None if industry is None else known_industry(industry)

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, topics: list[TopicSettings]) -> list[TopicSettings]:
        problem = topic_name_problem(topics)
        if problem:
            raise ValueError(problem)
        return topics

    @field_validator("products")
    @classmethod
    def _named_products(cls, products: dict[str, str]) -> dict[str, str]:
        for reference, name in products.items():
            if not reference.strip() or not name.strip():
                raise key_error((reference,), name, "a product needs a reference and a name, neither empty")
            if len(name) > 200:
                raise key_error((reference,), name, "a product name is at most 200 characters")
        return products

    @model_validator(mode="after")
    def _unique_source_names(self) -> BrandSettings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique within a brand: {', '.join(duplicates)}")
        return self

"""Aspect-level sentiment, one quote per topic, industry topic lists and weak signals with their evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config.industries import INDUSTRIES
from config.settings import SettingsError, load_settings
from models import Brand, Classification, Mention, MentionKind, MentionStatus, MentionTopic, Source
from reports import html
from reports.build import Options, build_report
from reports.figures import Report
from reports.topic_list import FOLDER, industry_topics
from reports.topics import EmbeddingTagger, LexicalTagger, Topic, describe_version, shipped_sentiment, topics_from
from tests.conftest import ROOT, write_settings

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 8, tzinfo=UTC)
VERSION = "embeddings-e5-small|restaurant.v1|e5-small-vei.0123456789ab|abcdef0123"


class Shop:
    """A brand with one review source, its mentions, their latest classification and topic tags."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.brand = Brand(slug="acme", name="Acme")
        session.add(self.brand)
        session.flush()
        self.source = Source(brand_id=self.brand.id, name="shop", kind="trustpilot")
        session.add(self.source)
        session.flush()
        self.n = 0

    def mention(
        self,
        text: str,
        day: float,
        stars: float | None = None,
        sentiment: str = "neutral",
        tags: tuple[tuple[str, str, str, float], ...] = (),
        off_topic: bool = False,
    ) -> int:
        """`day` from START (negative: the previous period); tags: (topic, sentence, sentiment, score)."""
        self.n += 1
        mention = Mention(
            source_id=self.source.id,
            external_id=f"m{self.n}",
            kind=MentionKind.REVIEW,
            text=text,
            published_at=START + timedelta(days=day),
            rating=stars,
            rating_best=None if stars is None else 5,
            rating_worst=None if stars is None else 1,
            rating_normalised=None if stars is None else (stars - 1) / 4,
            status=MentionStatus.PUBLISHED,
            off_topic=off_topic,
        )
        self.session.add(mention)
        self.session.flush()
        self.session.add(
            Classification(
                mention_id=mention.id,
                model_name="fake",
                model_version="1",
                sentiment=sentiment,
                stars=3.0,
                toxic=0.0,
                spam=0.0,
            )  # fmt: skip
        )
        for topic, sentence, said, score in tags or (("other", "", "", 0.5),):
            self.session.add(
                MentionTopic(
                    mention_id=mention.id,
                    topic=topic,
                    score=score,
                    method="embeddings",
                    version=VERSION,
                    sentence=sentence or None,
                    sentiment=said or None,
                )  # fmt: skip
            )
        return mention.id


def report_of(sessions: sessionmaker[Session], topics: list[Topic] | None = None) -> Report:
    with sessions.begin() as session:
        options = Options(topics=topics or topics_from([], "restaurant"))
        return build_report(session, "acme", START, END, options, now=END)


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    from models.db import make_engine, make_session_factory, upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


# --- Quotes: judged on the sentence about the topic, one topic per quote --------------------------------------


def test_a_five_star_review_is_never_an_irritant_quote(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        shop = Shop(session)
        # The sentence model read "I was afraid the wait would be long" as negative; its author gave five stars.
        five = shop.mention("I was afraid the wait would be long. It was not!", 1, 5, "positive",
                            (("wait_time", "I was afraid the wait would be long.", "negative", 0.95),))  # fmt: skip
        two = shop.mention("We waited an hour.", 2, 2, "negative",
                           (("wait_time", "We waited an hour.", "negative", 0.90),))  # fmt: skip
    report = report_of(sessions)
    wait = next(t for t in report.topics if t.name == "wait_time")
    assert [q.mention_id for q in wait.irritant_examples] == [two]
    assert five not in report.quoted()


def test_an_irritant_quote_is_its_own_negative_sentence_not_the_review(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        shop = Shop(session)
        # A four-star review, positive overall, whose delivery sentence is negative: a delivery irritant, quoted
        # by that sentence alone; its service sentence a praise.
        mixed = shop.mention(
            "The delivery was late and cold. But the staff were lovely.", 1, 4, "positive",
            (("delivery_takeaway", "The delivery was late and cold.", "negative", 0.93),
             ("service", "But the staff were lovely.", "positive", 0.91)),
        )  # fmt: skip
    report = report_of(sessions)
    topics = {t.name: t for t in report.topics}
    assert dict(topics["delivery_takeaway"].current) == {"negative": 1}
    assert dict(topics["service"].current) == {"positive": 1}
    [irritant] = topics["delivery_takeaway"].irritant_examples
    assert (irritant.mention_id, irritant.sentiment) == (mixed, "negative")
    assert irritant.text == "The delivery was late and cold."
    # One quote, one topic: the same review is not quoted again as the service's praise.
    assert topics["service"].praise_examples == []


def test_a_review_under_two_topics_is_quoted_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        shop = Shop(session)
        both = shop.mention("Cold burger. Rude cashier.", 1, 1, "negative",
                            (("food", "Cold burger.", "negative", 0.95),
                             ("service", "Rude cashier.", "negative", 0.94)))  # fmt: skip
        other = shop.mention("The waiter ignored us.", 2, 2, "negative",
                             (("service", "The waiter ignored us.", "negative", 0.90),))  # fmt: skip
    report = report_of(sessions)
    quoted = [q.mention_id for t in report.topics for q in t.irritant_examples + t.praise_examples]
    assert sorted(quoted) == sorted([both, other])  # each once
    assert len(quoted) == len(set(quoted))


def test_the_topic_section_names_the_models_and_the_list_version(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        Shop(session).mention("Cold burger.", 1, 1, "negative", (("food", "Cold burger.", "negative", 0.95),))
    report = report_of(sessions)
    assert report.topic_lists == "restaurant.v1"
    assert report.topic_model == "embeddings-e5-small, sentence sentiment e5-small-vei.0123456789ab"
    text = html.render(report, "test")
    said = "Tagged by embeddings-e5-small, sentence sentiment e5-small-vei.0123456789ab, topic list restaurant.v1"
    assert said in text


def test_a_tagger_version_names_its_lists_and_sentiment_model() -> None:
    topics = [*topics_from([], "hotel"), Topic("spa", "Spa", ("le spa", "the spa"))]
    version = LexicalTagger(topics).version
    assert version.startswith("lexical-tfidf-char|hotel.v1+custom|nosent|")
    assert describe_version(version) == ("lexical-tfidf-char, no sentence sentiment", "hotel.v1+custom")
    assert describe_version("old-v0") == ("old-v0", None)


def test_a_sentence_close_to_two_topics_stands_under_neither() -> None:
    tagger = LexicalTagger(topics_from([]))
    # The margin: the same sentence tagged with a zero margin finds a topic; with an impossible one, none.
    sentence = "Livraison rapide, colis reçu en deux jours."
    assert tagger.tag([sentence])[0][0][0] == "delivery"
    tagger.margin = 1.0
    assert tagger.tag([sentence])[0][0][0] == "other"


@pytest.mark.model
def test_a_mixed_review_puts_each_sentence_under_its_topic_with_its_polarity() -> None:
    cache = ROOT / ".cache" / "veilleur"
    sentiment = shipped_sentiment(cache)
    assert sentiment is not None
    tagger = EmbeddingTagger(topics_from([], "restaurant"), cache, sentiment)
    [aspects] = tagger.aspects(["The delivery was late and the food arrived cold. The staff were lovely."])
    found = {a.topic: (a.sentence, a.sentiment) for a in aspects}
    assert found["service"] == ("The staff were lovely.", "positive")
    late = found.get("delivery_takeaway") or found.get("food")
    assert late == ("The delivery was late and the food arrived cold.", "negative")
    assert len(aspects) == 2  # one topic per sentence


# --- Industry topic lists ------------------------------------------------------------------------------------


def test_every_industry_ships_a_french_and_english_list() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.toml")) == sorted(INDUSTRIES)
    for industry in INDUSTRIES:
        topics, origin = industry_topics(industry)
        assert origin == f"{industry}.v1"
        names = [t["name"] for t in topics]
        assert len(names) >= 6 and len(set(names)) == len(names) and "other" not in names
        for topic in topics:
            examples = " ".join(topic["examples"]).lower()
            # French and English: each topic has examples with words of both.
            assert any(w in examples.split() for w in ("le", "la", "les", "des", "de", "pour")), topic["name"]
            assert any(w in examples.split() for w in ("the", "was", "is", "a", "for", "my")), topic["name"]


def test_settings_choose_the_industry_and_extend_or_override_it() -> None:
    class Custom:
        def __init__(self, name: str, label: str) -> None:
            self.name, self.label, self.examples = name, label, ["un exemple", "an example"]

    topics = {t.name: t for t in topics_from([Custom("food", "Menu"), Custom("drive", "Drive")], "restaurant")}
    assert topics["food"].label == "Menu" and topics["food"].origin == "custom"  # overridden by name
    assert topics["drive"].origin == "custom"  # added
    assert topics["service"].origin == "restaurant.v1"
    assert [t.name for t in topics_from([Custom("drive", "Drive")], "none")] == ["drive"]


def test_the_shipped_settings_give_the_demo_the_restaurant_list() -> None:
    settings = load_settings(ROOT / "settings.toml", environ={})
    assert settings.reports.industry == "restaurant"


def test_an_unknown_industry_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "sqlite://", "", reports='industry = "casino"')
    with pytest.raises(SettingsError) as raised:
        load_settings(path, environ={})
    assert "reports.industry" in str(raised.value)
    assert "unknown industry 'casino': one of retail, restaurant, hotel, app, bank, telecom, or 'none'" in str(
        raised.value
    )
    path = write_settings(tmp_path, "sqlite://", "", reports='industry = "none"')
    with pytest.raises(SettingsError, match=r"industry 'none' needs \[\[reports.topics\]\]"):
        load_settings(path, environ={})


# --- Weak signals ---------------------------------------------------------------------------------------------


def _steady(shop: Shop, days: list[float]) -> None:
    for i, day in enumerate(days):
        shop.mention(f"Good burgers and friendly staff, number {i}.", day, 5, "positive",
                     (("food", "Good burgers.", "positive", 0.9),))  # fmt: skip


def test_weak_signals_carry_why_and_evidence_and_ignore_off_topic_posts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        shop = Shop(session)
        _steady(shop, [-6 + i * 0.2 for i in range(25)])  # the previous period
        _steady(shop, [0.1 + i * 0.2 for i in range(20)])
        fries = [
            shop.mention(
                f"The cold fries again. Visit {i}.",
                1 + i,
                2,
                "negative",
                (("food", "The cold fries again.", "negative", 0.95),),
            )  # fmt: skip
            for i in range(4)
        ]
        # Off-topic posts (the query or the relevance score said so): many, and new, but not about the brand.
        for i in range(6):
            shop.mention(f"Baseball tonight: the shooting guard scored {i}.", 2 + i * 0.1, None, "negative",
                         off_topic=True)  # fmt: skip
    report = report_of(sessions)
    subjects = {s.subject: s for s in report.weak_signals}
    assert not any("baseball" in s or "shooting" in s for s in subjects)
    signal = subjects["cold fries"]
    assert (signal.kind, signal.now, signal.before) == ("new_term", 4, 0)
    assert signal.why == "new term: in 4 mentions this period, none in the previous one"
    assert [q.mention_id for q in signal.quotes] == [fries[3], fries[2]]  # the newest first
    assert [q.text for q in signal.quotes] == ["The cold fries again."] * 2
    negative = next(s for s in report.weak_signals if s.kind == "rising_negative")
    assert negative.subject == "Food and drinks"
    assert (negative.now, negative.now_total, negative.before, negative.before_total) == (4, 24, 0, 25)
    assert negative.why == "rising negative share: 4 of 24 mentions negative (17%), up from 0 of 25 (0%)"
    assert {q.mention_id for q in negative.quotes} <= set(fries) and len(negative.quotes) == 2
    text = html.render(report, "test")
    assert "new term: in 4 mentions this period, none in the previous one" in text
    assert "Baseball" not in text


def test_no_weak_signal_without_a_previous_period_to_compare_with(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        shop = Shop(session)
        _steady(shop, [0.1 + i * 0.2 for i in range(20)])
        for i in range(4):
            shop.mention("Cinnamon rolls recipe.", 1 + i, 5, "positive")
    assert report_of(sessions).weak_signals == []

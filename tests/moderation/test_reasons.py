"""Rejection reasons live in one registry (models/reasons.py): every reason is worded in both languages, and
every surface that names one (Slack's reject menu, the author's notice, the disclosure page) shows the
registry's words. The console's menus are checked in tests/console/test_pages.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from alerts.blocks import moderation_buttons
from config.settings import load_settings
from models import Author, Mention, RejectionReason
from models.reasons import LANGUAGES
from moderation.notify import queue_rejection_notice
from moderation.publishing.disclosure import render_disclosure
from tests.conftest import write_settings


def test_every_reason_is_worded_in_both_languages():
    assert len(RejectionReason) >= 9  # DESIGN.md's fixed list
    for reason in RejectionReason:
        assert re.fullmatch(r"[a-z][a-z_]*", reason.value)  # stored in the database: never renamed
        for language in LANGUAGES:
            assert reason.label(language).strip() == reason.label(language) != ""
            assert reason.notice(language).strip() == reason.notice(language) != ""
        assert (reason.label("fr"), reason.label("en")) == (reason.label_fr, reason.label_en)
        assert (reason.notice("fr"), reason.notice("en")) == (reason.notice_fr, reason.notice_en)
    for field in ("label_fr", "label_en", "notice_fr", "notice_en"):
        words = [getattr(reason, field).casefold() for reason in RejectionReason]
        assert len(set(words)) == len(words), f"two reasons share a {field}"


def test_a_code_reads_back_as_its_reason():
    assert RejectionReason("off_topic") is RejectionReason.OFF_TOPIC
    assert RejectionReason.OFF_TOPIC == "off_topic" and f"{RejectionReason.OFF_TOPIC}" == "off_topic"
    with pytest.raises(ValueError):
        RejectionReason("Off-topic")


def test_slack_reject_menu_shows_the_registry_labels():
    elements = [element.to_dict() for element in moderation_buttons(7)]
    [menu] = [element for element in elements if element["action_id"] == "reject"]
    shown = [(option["value"], option["text"]["text"]) for option in menu["options"]]
    assert shown == [(f"7:{reason.value}", reason.label_en) for reason in RejectionReason]


class _NoStoredNotice:
    """Just enough of a Session for queue_rejection_notice: no notice queued yet."""

    def __init__(self) -> None:
        self.added: list[object] = []

    def scalar(self, statement: object) -> None:
        return None

    def add(self, row: object) -> None:
        self.added.append(row)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", list(RejectionReason))
def test_the_authors_notice_gives_the_registry_words(reason, language):
    mention = Mention(id=3, language=language, text="…", published_at=datetime(2026, 3, 4, tzinfo=UTC))
    mention.author = Author(contact="jean@example.org")
    notice = queue_rejection_notice(_NoStoredNotice(), mention, reason)  # type: ignore[arg-type]
    assert notice is not None
    motive = "Motif : " if language == "fr" else "Reason: "
    assert f"{motive}{reason.notice(language)}." in notice.body


def test_the_disclosure_page_lists_exactly_the_registry_reasons(tmp_path):
    path = write_settings(tmp_path, "sqlite:///x.db", '[[brands]]\nslug = "acme"\nname = "Acme"\n')
    html = render_disclosure(load_settings(path), "acme", datetime(2026, 11, 2, tzinfo=UTC))
    french, english = html.split('<section lang="en">')
    for section, language in ((french, "fr"), (english, "en")):
        listed = re.findall(r"<li>(.*?)</li>", section.replace("&#39;", "'"))
        assert listed == [reason.notice(language) for reason in RejectionReason]

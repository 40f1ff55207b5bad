"""The [surveys] settings: the shipped templates are valid; a template's mistake is named with its key."""

from __future__ import annotations

from config.settings import load_settings
from tests.skeleton.test_settings import GOOD, ROOT, error_of, write

TEMPLATE = """
[surveys.templates.{language}]
subject = "{subject}"
reminder_subject = "Rappel"
text = "{{link}} {{unsubscribe}}"
html = "{html}"
"""


def test_the_shipped_survey_settings_hold_both_languages():
    surveys = load_settings(ROOT / "settings.toml", {}).surveys
    assert set(surveys.templates) == {"fr", "en"} and surveys.cap_invitations >= 1


def test_an_unknown_placeholder_is_named_with_its_key(tmp_path):
    fr = TEMPLATE.format(language="fr", subject="Avis sur {order}", html="{link} {unsubscribe}")
    en = TEMPLATE.format(language="en", subject="ok", html="{link} {unsubscribe}")
    message = error_of(write(tmp_path, GOOD + fr + en))
    assert "surveys.templates.fr.subject" in message and "unknown placeholder 'order'" in message


def test_a_template_without_its_unsubscribe_link_is_refused(tmp_path):
    fr = TEMPLATE.format(language="fr", subject="ok", html="{link}")
    en = TEMPLATE.format(language="en", subject="ok", html="{link} {unsubscribe}")
    message = error_of(write(tmp_path, GOOD + fr + en))
    assert "surveys.templates.fr.html" in message and "{unsubscribe}" in message


def test_both_languages_are_required(tmp_path):
    fr = TEMPLATE.format(language="fr", subject="ok", html="{link} {unsubscribe}")
    message = error_of(write(tmp_path, GOOD + fr))
    assert "surveys.templates" in message and "missing: ['en']" in message


def test_a_wrong_number_is_named(tmp_path):
    message = error_of(write(tmp_path, GOOD + "\n[surveys]\ncap_days = 0\n"))
    assert "surveys.cap_days" in message

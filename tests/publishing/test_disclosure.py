"""The disclosure page says what settings make the code do, French first, then English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.settings import SettingsError, load_settings
from models import RejectionReason
from moderation.publishing.disclosure import render_disclosure
from tests.conftest import write_settings

BRAND = '[[brands]]\nslug = "acme"\nname = "Acme & Fils"\n'


def page(tmp_path, **sections):
    settings = load_settings(write_settings(tmp_path, "sqlite:///x.db", BRAND, **sections))
    return render_disclosure(settings, "acme", datetime(2026, 11, 2, tzinfo=UTC))


def test_defaults(tmp_path):
    html = page(tmp_path)
    assert html.index('lang="fr"') < html.index('<section lang="en">')
    assert "Acme &amp; Fils" in html
    # The unqualified "read by a moderator before publication" was untrue (the deadline publishes unread reviews).
    assert "Chaque avis est lu par un modérateur avant sa publication, sauf si aucun" in html
    assert "A moderator reads each review before it is published, unless no moderator" in html
    assert "au plus tard 7 jours" in html and "at most 7 days" in html
    assert "effacés 24 mois après" in html and "erased 24 months after" in html
    assert "conservés 365 jours" in html and "kept 365 days" in html
    assert "Aucune contrepartie n'est accordée" in html and "Nothing is given in exchange" in html
    assert "un avis négatif est publié comme un avis positif" in html
    assert "2026-11-02" in html


def test_every_rejection_reason_in_both_languages(tmp_path):
    html = page(tmp_path)
    for reason in RejectionReason:
        assert f"<li>{reason.notice_fr}</li>".replace("'", "&#39;") in html
        assert f"<li>{reason.notice_en}</li>".replace("'", "&#39;") in html


def test_automatic_mode_delay_sample_incentive(tmp_path):
    html = page(
        tmp_path,
        moderation='publishing = "auto"\nauto_approve_hours = 12\nauto_sample_share = 0.25',
        publishing='max_publication_days = 3\nincentive = "un bon de 5 € <b>offert</b>"',
        privacy="pseudonymise_after_months = 12\nkeep_removed_days = 400",
    )
    # Counted from its reception (when the router sets it), not from when it was written as the page said.
    assert "publié automatiquement 12 heures après sa réception" in html
    assert "25 % des avis, tirés au hasard" in html
    assert "published automatically 12 hours after it reaches us" in html and "25% of reviews" in html
    assert "au plus tard 3 jours" in html
    assert "un bon de 5 € &lt;b&gt;offert&lt;/b&gt;" in html
    assert "effacés 12 mois" in html and "kept 400 days" in html


def test_privacy_and_publishing_settings_are_strict(tmp_path):
    with pytest.raises(SettingsError, match=r"privacy.keep_removed_days"):
        page(tmp_path, privacy="keep_removed_days = 30")
    with pytest.raises(SettingsError, match=r"publishing.colour: unknown key"):
        page(tmp_path, publishing='colour = "red"')
    with pytest.raises(SettingsError, match="webhook_secret is empty"):
        page(tmp_path, publishing='webhook_url = "https://example.com/hook"')
    path = write_settings(tmp_path, "sqlite:///x.db", BRAND, publishing='webhook_url = "https://example.com/h"')
    settings = load_settings(path, environ={"VEILLEUR__PUBLISHING__WEBHOOK_SECRET": "from-env"})
    assert settings.publishing.webhook_secret == "from-env"

"""The survey columns moderation relies on: e-mail (checked), product, location, verified (never guessed)."""

from __future__ import annotations

import pytest

from crawlers.parsing.survey import SurveyFileError, read_survey

HEADER = "order_ref;submitted_at;experienced_at;rating;consent;text;email;product;location;verified\n"


def test_email_product_location_and_verified_are_read():
    body = (
        HEADER + "C1;2026-11-20;2026-11-18;2;oui;Molles.;hugo@example.org;CAROTTE-500;Lyon;oui\n"
        "C2;2026-11-20;2026-11-18;5;oui;Bien.;;;;\n"
    ).encode()
    first, second = read_survey(body, "export.csv", "file:///export.csv")
    assert (first.contact, first.product, first.location, first.verified_purchase) == (
        "hugo@example.org",
        "CAROTTE-500",
        "Lyon",
        True,
    )
    # An order reference alone is not a verified purchase.
    assert (second.contact, second.product, second.verified_purchase) == (None, None, False)


def test_a_bad_email_or_verified_value_names_its_line_and_nothing_is_imported():
    body = (
        HEADER + "C1;2026-11-20;2026-11-18;2;oui;Ok.;not-an-address;;;\n"
        "C2;2026-11-20;2026-11-18;2;oui;Ok.;;;;peut-être\n"
    ).encode()
    with pytest.raises(SurveyFileError) as error:
        read_survey(body, "export.csv", "file:///export.csv")
    assert error.value.problems == [
        "line 2: email 'not-an-address' is not an e-mail address",
        "line 3: verified 'peut-être' is not yes/no (oui/non, true/false, 1/0)",
    ]


def test_words_that_look_like_markup_are_kept_as_written():
    from crawlers.normalise import to_plain_text

    assert to_plain_text("Je vous aime <3 & > tout") == "Je vous aime <3 & > tout"
    assert to_plain_text("prix < 10 € et AT&T") == "prix < 10 € et AT&T"
    assert to_plain_text("<p>Bien</p><script>alert(1)</script>") == "Bien"

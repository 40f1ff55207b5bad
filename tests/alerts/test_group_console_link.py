"""A grouped Slack message's "Open these N in the console" names its mentions in the console address
(`?ids=…`), so the console shows exactly those; when they do not fit in a link (more than the console takes,
or past a button's url limit), it leads to the brand's queue and its label says so."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from alerts.blocks import build_group_message
from alerts.mrkdwn import URL_LIMIT
from alerts.wording import Setting
from models import AlertKind
from models.alert_payloads import MentionPayload
from models.urls import QUEUE_IDS_LIMIT
from tests.alerts.slack_checks import check_message

PUBLIC = "https://veilleur.acme.example"


def group(mention_ids: list[int], console: str = PUBLIC, source: str = "trustpilot-fr") -> dict:
    items = [
        (
            number,  # the alert's id: the same number, for short
            MentionPayload(
                mention_id=number,
                source=source,
                source_kind="trustpilot",
                url=f"https://trustpilot.example/reviews/{number}",
                text=f"avis {number}",
                rating=1.0,
                rating_best=5.0,
                console_url=f"{console}/console/review/{number}",
            ).to_json(),
        )
        for number in mention_ids
    ]
    message = build_group_message(AlertKind.REVIEW_TO_ANSWER, "Acme", items, Setting(brand_slug="acme"))
    check_message(message)  # within Block Kit's limits, the button's url too
    return message


def button(message: dict) -> dict:
    [footer] = [block for block in message["blocks"] if block.get("block_id") == "group"]
    [element] = footer["elements"]
    return element


def test_the_button_names_the_groups_mentions():
    element = button(group([12, 15, 19]))
    assert element["text"]["text"] == "Open these 3 in the console"
    assert element["url"] == f"{PUBLIC}/console/queue/to_reply?ids=12,15,19"
    assert parse_qs(urlsplit(element["url"]).query) == {"ids": ["12,15,19"]}  # no brand: exactly these


def test_more_than_the_console_takes_falls_back_to_the_brands_queue_and_says_so():
    element = button(group(list(range(1, QUEUE_IDS_LIMIT + 2))))
    assert "ids" not in element["url"]
    assert element["url"] == f"{PUBLIC}/console/queue/to_reply?brand=acme&source=trustpilot-fr"
    assert element["text"]["text"] == "Open the brand's queue (too many to link)"
    assert len(element["text"]["text"]) <= 75  # a button's text (Block Kit)
    assert button(group(list(range(1, QUEUE_IDS_LIMIT + 1))))["text"]["text"] == "Open these 100 in the console"


def test_ids_past_a_buttons_url_limit_fall_back_too():
    # A long console address (a deep reverse-proxy path) and big ids: the brand's queue still fits, the ids do not.
    console = PUBLIC + "/" + "p" * 1700
    big = [10**15 + number for number in range(60)]  # 17 characters each with the comma: ~1,000 more
    element = button(group(big, console=console))
    assert len(f"{console}/console/queue/to_reply?ids=" + ",".join(map(str, big))) > 2000  # models.urls.MAX_LENGTH
    assert element["url"].startswith(f"{console}/console/queue/to_reply?brand=")
    assert len(element["url"]) <= URL_LIMIT
    assert "too many to link" in element["text"]["text"]

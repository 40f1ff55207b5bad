"""One name per person across Slack, the console and the CLI (config/people.py), as a table."""

from __future__ import annotations

import pytest

from config.people import People

PEOPLE = People.of([("alice", "U0ALICE1"), ("bob", ""), ("W0GRID", "W0GRID9")])


@pytest.mark.parametrize(
    ("slack_id", "stored", "actor"),
    [
        ("U0ALICE1", "alice", "slack:alice"),  # her account names her Slack user
        ("U0ZED3", "slack:U0ZED3", "slack:U0ZED3"),  # nobody's account: the id, as before
        ("W0GRID9", "W0GRID", "slack:W0GRID"),
    ],
)
def test_a_slack_user_is_stored_under_the_account_that_names_it(slack_id, stored, actor):
    assert PEOPLE.name(slack_id) == stored
    assert PEOPLE.actor(slack_id) == actor


@pytest.mark.parametrize(
    ("stored", "slack_id", "names", "shown"),
    [
        ("alice", "U0ALICE1", {"alice", "slack:U0ALICE1"}, "alice"),
        ("slack:U0ALICE1", "U0ALICE1", {"alice", "slack:U0ALICE1"}, "alice"),  # stored before her slack_id
        ("bob", None, {"bob"}, "bob"),  # no Slack user named
        ("slack:U0ZED3", "U0ZED3", {"slack:U0ZED3"}, "slack:U0ZED3"),
        ("slack:<!channel>", None, {"slack:<!channel>"}, "slack:<!channel>"),  # not an id: never a mention
        ("owner@example.org", None, {"owner@example.org"}, "owner@example.org"),
    ],
)
def test_every_spelling_of_one_person(stored, slack_id, names, shown):
    assert PEOPLE.slack_id(stored) == slack_id
    assert PEOPLE.names(stored) == names
    assert PEOPLE.shown(stored) == shown

"""The webhook push: signed, built from the feed when sent, retried until a 2xx, never sent twice at once."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from models import RejectionReason, WebhookDelivery
from moderation import workflow
from moderation.publishing.webhook import backoff, http_post, send_due, sign, verify
from tests.publishing.conftest import add_review
from tests.publishing.receiver import Receiver

SECRET = "s3cr3t-shared-with-the-site"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def publish(sessions, text="Très bien.", **values):
    with sessions.begin() as session:
        mention = add_review(session, text, **values)
        workflow.publish(session, mention.id, "cli:alice")
        return mention.id


def deliveries(sessions):
    with sessions.begin() as session:
        return [
            (d.event, d.attempts, d.delivered_at is not None, d.last_error)
            for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        ]


def test_signature_round_trip():
    header = sign(SECRET, 1_700_000_000, b'{"a":1}')
    assert verify(SECRET, header, b'{"a":1}', 1_700_000_010)
    assert not verify(SECRET, header, b'{"a":2}', 1_700_000_010)
    assert not verify("other", header, b'{"a":1}', 1_700_000_010)
    assert not verify(SECRET, header, b'{"a":1}', 1_700_000_000 + 301)  # a replay, too late
    assert not verify(SECRET, "v1=abc", b'{"a":1}', 1_700_000_000)


def test_backoff_doubles_up_to_the_ceiling():
    ceiling = timedelta(minutes=60)
    assert [backoff(n, ceiling).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_publish_reply_withdraw_are_pushed_in_order_with_the_current_entry(sessions):
    mention_id = publish(sessions, author="Anne Marie Durand", order_ref="CMD-1", verified_purchase=True)
    with Receiver(SECRET) as site:
        assert send_due(sessions, site.url, SECRET, now=T0).sent == 1
        with sessions.begin() as session:
            workflow.reply(session, mention_id, "cli:bob", "Merci Anne !")
        assert send_due(sessions, site.url, SECRET, now=T0).sent == 1
        with sessions.begin() as session:
            workflow.reject(session, mention_id, "cli:bob", RejectionReason.PERSONAL_DATA)
        assert send_due(sessions, site.url, SECRET, now=T0).sent == 1
        assert send_due(sessions, site.url, SECRET, now=T0).sent == 0
    published, updated, withdrawn = (request["body"] for request in site.received)
    assert all(request["signed"] and request["path"] == "/hooks/veilleur" for request in site.received)
    assert published["event"] == "published" and published["id"] == mention_id
    assert published["brand"] == "acme"
    assert published["author"] == "Anne D."
    assert published["text"] == "Très bien."
    assert published["verified_purchase"] is True
    assert published["reply"] is None
    assert updated["event"] == "updated" and updated["reply"]["text"] == "Merci Anne !"
    assert withdrawn == {"event": "withdrawn", "brand": "acme", "id": mention_id}
    assert [r["event"] for r in site.received] == ["published", "updated", "withdrawn"]
    assert deliveries(sessions) == [
        ("published", 1, True, None),
        ("updated", 1, True, None),
        ("withdrawn", 1, True, None),
    ]


def test_a_site_that_is_down_loses_nothing_and_gets_each_change_once(sessions):
    publish(sessions, author="Anne")
    publish(sessions, author="Bea B")
    with Receiver(SECRET) as site:
        site.status = 503
        first = send_due(sessions, site.url, SECRET, now=T0)
        assert (first.sent, first.failed) == (0, 2)
        assert deliveries(sessions) == [("published", 1, False, "HTTP 503")] * 2
        # Not due yet: nothing is posted before the backoff has passed.
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(seconds=59)).failed == 0
        assert len(site.received) == 2
        site.status = 500
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(minutes=1)).failed == 2
        site.status = 204
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(minutes=2)).sent == 0  # waits 2 min now
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(minutes=3)).sent == 2
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(hours=5)).sent == 0
    accepted = site.accepted()
    assert sorted(request["delivery"] for request in accepted) == ["1", "2"]
    assert deliveries(sessions) == [("published", 3, True, None)] * 2


def test_an_unreachable_site_is_retried(sessions):
    publish(sessions)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    assert send_due(sessions, closed, SECRET, now=T0, timeout=2).failed == 1
    [(event, attempts, delivered, error)] = deliveries(sessions)
    assert (event, attempts, delivered) == ("published", 1, False)
    assert "Connection refused" in error or "URLError" in error
    with Receiver(SECRET) as site:
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(minutes=1)).sent == 1


def test_a_wrong_secret_is_refused_by_the_site_and_retried(sessions):
    publish(sessions)
    with Receiver(SECRET) as site:
        assert send_due(sessions, site.url, "not-the-secret", now=T0).failed == 1
        assert site.received[0]["status"] == 401
        assert send_due(sessions, site.url, SECRET, now=T0 + timedelta(minutes=1)).sent == 1


def test_no_url_no_push_and_the_rows_wait(sessions):
    publish(sessions)
    assert send_due(sessions, "", SECRET, now=T0).sent == 0
    assert deliveries(sessions) == [("published", 0, False, None)]


def test_two_senders_at_once_post_each_delivery_once(sessions):
    for number in range(6):
        publish(sessions, f"Avis {number}", author=f"Auteur {number}")
    with Receiver(SECRET) as site:
        site.delay = 0.05  # slow enough for the two senders to overlap
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(send_due(sessions, site.url, SECRET, now=T0)))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sum(result.sent for result in results) == 6
    assert sorted(int(request["delivery"]) for request in site.received) == [1, 2, 3, 4, 5, 6]


def test_undo_of_a_withdrawal_sends_the_review_again(sessions):
    mention_id = publish(sessions)
    with sessions.begin() as session:
        workflow.reject(session, mention_id, "cli:bob", RejectionReason.SPAM)
        workflow.undo(session, mention_id, "cli:bob", timedelta(minutes=10))
    with Receiver(SECRET) as site:
        assert send_due(sessions, site.url, SECRET, now=T0).sent == 3
    # Each message carries the state when it is sent: published now, so all three say so.
    assert [request["body"]["event"] for request in site.received] == ["published", "published", "published"]


def test_a_redirect_is_a_failure_and_is_not_followed(sessions):
    paths = []

    class Redirects(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            paths.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)  # a followed 307 would post the same body again, to /moved
            self.send_header("Location", "/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    publish(sessions)
    with ThreadingHTTPServer(("127.0.0.1", 0), Redirects) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        assert http_post(url, b"{}", {"Content-Type": "application/json"}, 5) == 307
        assert send_due(sessions, url, SECRET, now=T0).failed == 1
        server.shutdown()
    assert paths == ["/hook", "/hook"]
    assert deliveries(sessions) == [("published", 1, False, "HTTP 307")]

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from scheduler import jobs
from tests.console.support import PASSWORD, csrf_of, make_context
from web.app import create_app


class Console:
    """A TestClient on the app `veilleur serve` runs, with helpers to sign in and post forms as a user would."""

    def __init__(self, client: TestClient, context: jobs.Context) -> None:
        self.client = client
        self.context = context

    def login(self, name: str = "mia", password: str = PASSWORD) -> None:
        page = self.client.get("/console/login")
        answer = self.client.post(
            "/console/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)}
        )
        assert answer.status_code == 200 and "Log out" in answer.text, answer.text

    def post(self, path: str, data: dict[str, object], page: str = "/console/", follow: bool = True):  # type: ignore[no-untyped-def]
        token = csrf_of(self.client.get(page).text)
        return self.client.post(path, data={**data, "csrf": token}, follow_redirects=follow)


@pytest.fixture
def console(tmp_path: Path, database_url: str) -> Iterator[Console]:
    context = make_context(tmp_path, database_url)
    with TestClient(create_app(context)) as client:
        yield Console(client, context)
    context.close()

"""What every job, command and HTTP route needs: the settings, the database, and (lazily) the models."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from models.catalogue import sync_brands
from models.db import make_engine, make_session_factory, upgrade
from moderation.classifier.base import Classifier


class Context:
    """What every job needs: the settings, the database, and (lazily) the classifier."""

    def __init__(self, settings: Settings, settings_path: Path) -> None:
        self.settings = settings
        self.settings_path = settings_path
        url = settings.database_url()
        upgrade(url)
        self.engine: Engine = make_engine(url)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        with self.sessions.begin() as session:
            sync_brands(session, settings.brands)
        self._classifier: Classifier | None = None
        # The topic taggers (reports/topics.py Tagger), one per topic list: reports is a floor above this one.
        self._tagger: Any = None
        # When each model was last used (time.monotonic()); a model set from outside counts as used now.
        self._used = {"classifier": time.monotonic(), "tagger": time.monotonic()}

    def close(self) -> None:
        self.engine.dispose()

    @property
    def classifier(self) -> Classifier:
        self._used["classifier"] = time.monotonic()
        if self._classifier is None:
            from moderation.classifier.load import load_classifier

            self._classifier = load_classifier(self.settings)
        return self._classifier

    def tagger(self, load: Callable[[], Any]) -> Any:
        """The topic tagger(s), loaded by `load` at first use or after they were released."""
        self._used["tagger"] = time.monotonic()
        if self._tagger is None:
            self._tagger = load()
        return self._tagger

    def release_idle(self, idle_seconds: float) -> list[str]:
        """Drop the models unused for `idle_seconds` (a job still holding one keeps it until it ends).
        Returns the names of those dropped."""
        now, dropped = time.monotonic(), []
        if self._classifier is not None and now - self._used["classifier"] >= idle_seconds:
            self._classifier, dropped = None, [*dropped, "classifier"]
        if self._tagger is not None and now - self._used["tagger"] >= idle_seconds:
            self._tagger, dropped = None, [*dropped, "tagger"]
        return dropped

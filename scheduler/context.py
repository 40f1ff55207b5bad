"""What every job, command and HTTP route needs: the settings, the database, and (lazily) the classifier."""

from __future__ import annotations

from pathlib import Path

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

    def close(self) -> None:
        self.engine.dispose()

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            from moderation.classifier.load import load_classifier

            self._classifier = load_classifier(self.settings)
        return self._classifier

"""Import the brand's own post-purchase reviews from a CSV/JSON survey export: `import_survey`.

The whole file is checked before anything is written; a file with any malformed row raises
`SurveyFileError` naming every bad line, and nothing is imported. Rows already stored (same review id,
or same order reference) are skipped, so importing the same export twice stores each review once.
The caller owns the session and its transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from crawlers.normalise import finish
from crawlers.parsing.survey import SurveyFileError, read_survey
from crawlers.pipelines.store import StorePipeline

__all__ = ["ImportResult", "SurveyFileError", "import_survey", "import_survey_body"]
DEFAULT_PSEUDONYM_SECRET = ""  # as [crawl] pseudonym_secret: empty uses the key generated for the database


@dataclass
class ImportResult:
    rows: int
    imported: int
    already_stored: int
    external_ids: list[str] = field(default_factory=list)


def import_survey(
    session: Session, source_id: int, path: str | Path, pseudonym_secret: str = DEFAULT_PSEUDONYM_SECRET
) -> ImportResult:
    path = Path(path)
    try:
        body = path.read_bytes()
    except OSError as error:
        raise SurveyFileError(str(path), [f"cannot read the file: {error.strerror}"]) from None
    return import_survey_body(session, source_id, body, path.name, path.resolve().as_uri(), pseudonym_secret)


def import_survey_body(
    session: Session,
    source_id: int,
    body: bytes,
    name: str,
    url: str,
    pseudonym_secret: str = DEFAULT_PSEUDONYM_SECRET,
) -> ImportResult:
    """The same import for an export received over HTTP (the intake endpoint): `name` tells CSV from JSON."""
    items = read_survey(body, name, url)
    now = datetime.now(UTC)
    try:
        items = [finish(item, now) for item in items]
    except ValueError as error:  # read_survey checks what finish refuses; should one slip through, it is a 422
        raise SurveyFileError(name, [str(error)]) from None
    store = StorePipeline("", pseudonym_secret)
    imported = 0
    for item in items:
        # The same insert as a crawl's (author pseudonym, idempotent on source and external id).
        imported += store._store(session, source_id, item)
        session.flush()
    return ImportResult(len(items), imported, len(items) - imported, [str(item.external_id) for item in items])

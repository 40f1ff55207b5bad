"""The survey intake endpoint: the brand's survey tool POSTs its post-purchase answers (CSV or JSON, the
export format of docs/sources.md) with a bearer token; rows are checked as a whole and stored once."""

from __future__ import annotations

import hmac
import logging

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crawlers.survey_import import SurveyFileError, import_survey_body
from models.catalogue import find_source

log = logging.getLogger("web.intake")


def intake_routes(sessions: sessionmaker[Session], token: str, pseudonym_secret: str) -> list[Route]:
    async def survey(request: Request) -> JSONResponse:
        brand, source_name = request.path_params["brand"], request.path_params["source"]
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            log.warning("survey intake for %s/%s refused: bad or missing token", brand, source_name)
            return JSONResponse({"error": "missing or wrong bearer token ([intake] token)"}, status_code=401)
        body = await request.body()  # at most [intake] max_body_bytes: web/limits.py refused a larger one
        name = "intake.json" if "json" in request.headers.get("Content-Type", "") else "intake.csv"
        with sessions.begin() as session:
            source = find_source(session, brand, source_name)
            if source is None or source.kind != "survey":
                return JSONResponse({"error": f"no survey source {brand}/{source_name} in settings"}, status_code=404)
            try:
                result = import_survey_body(session, source.id, body, name, str(request.url), pseudonym_secret)
            except SurveyFileError as error:
                # Nothing is imported from a file with a bad row: the sender fixes it and sends it again.
                return JSONResponse(
                    {"error": "malformed rows, nothing imported", "problems": error.problems}, status_code=422
                )
        return JSONResponse({"rows": result.rows, "imported": result.imported, "already_stored": result.already_stored})

    return [Route("/intake/survey/{brand}/{source}", survey, methods=["POST"])]

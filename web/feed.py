"""`veilleur serve` routes for the brand's site: the feed as JSON, the widget as HTML or a script, and the
disclosure page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from moderation.publishing.disclosure import render_disclosure
from moderation.publishing.feed import feed_entries
from moderation.publishing.widget import brand_widget, widget_script

if TYPE_CHECKING:
    from config.settings import Settings

# Published reviews are public: any page may read them; a minute of caching spares the database.
HEADERS = {
    "Cache-Control": "public, max-age=60",
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
}


def publishing_routes(sessions: sessionmaker[Session], settings: Settings) -> list[Route]:
    names = {brand.slug: brand.name for brand in settings.brands}

    # Plain functions: Starlette runs them in its thread pool, so database calls never block the event loop.
    def feed_json(request: Request) -> Response:
        brand = request.path_params["brand"]
        if brand not in names:
            return JSONResponse({"error": f"no brand {brand!r}"}, status_code=404)
        with sessions() as session:
            return JSONResponse(feed_entries(session, brand), headers=HEADERS)

    def feed_page(request: Request) -> Response:
        brand = request.path_params["brand"]
        if brand not in names:
            return HTMLResponse("<p>Not found</p>", status_code=404)
        language = request.query_params.get("lang", "fr")
        with sessions() as session:
            html = brand_widget(settings, feed_entries(session, brand), brand, language)
        return HTMLResponse(html, headers=HEADERS)

    def feed_script(request: Request) -> Response:
        brand = request.path_params["brand"]
        if brand not in names:
            return Response("/* no such brand */\n", status_code=404, media_type="text/javascript")
        language = request.query_params.get("lang", "fr")
        with sessions() as session:
            html = brand_widget(settings, feed_entries(session, brand), brand, language)
        return Response(widget_script(html), media_type="text/javascript; charset=utf-8", headers=HEADERS)

    def disclosure(request: Request) -> Response:
        brand = request.path_params["brand"]
        if brand not in names:
            return HTMLResponse("<p>Not found</p>", status_code=404)
        return HTMLResponse(render_disclosure(settings, brand), headers=HEADERS)

    return [
        Route("/feed/{brand}.json", feed_json),
        Route("/feed/{brand}.html", feed_page),
        Route("/feed/{brand}.js", feed_script),
        Route("/disclosure/{brand}.html", disclosure),
    ]

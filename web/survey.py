"""The survey's public routes on `veilleur serve`: the hosted form behind its signed, expiring link, the one-click
unsubscribe (RFC 8058: a mail client POSTs to the List-Unsubscribe address; a person follows the link and presses
one button), and the signed orders endpoint (POST /intake/orders/BRAND, the bearer token of [intake])."""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from models import Brand, SurveyOrder, utcnow
from models.identity import link_key
from models.surveys import FORGOTTEN
from scheduler.context import Context
from surveys.answers import AnswerClosed, answer_of, check, editable, save
from surveys.links import FORM, UNSUBSCRIBE, LinkRefused, read_token
from surveys.optouts import opt_out
from surveys.orders import OrdersFileError, read_orders, store_orders
from web.survey_page import form_page, message_page, refused_page, thanks_page, unsubscribe_page

log = logging.getLogger("web.survey")
# Nothing on these pages comes from elsewhere, and nothing may: no script at all, styles inline, no framing.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",  # a personal page: never kept by a shared cache
    "Referrer-Policy": "no-referrer",  # the signed link must not leak to the disclosure page's logs
    "X-Content-Type-Options": "nosniff",
}
REFUSED = {"forged": 403, "expired": 410}


def survey_routes(context: Context) -> list[Route]:
    settings = context.settings
    sessions = context.sessions
    edit = timedelta(hours=settings.surveys.edit_hours)

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=HEADERS)

    def opened(session: Any, purpose: str, token: str) -> tuple[SurveyOrder, Brand] | str:
        """The order the link opens, or why not ("forged", "expired")."""
        try:
            order_id = read_token(link_key(session), purpose, token, utcnow())
        except LinkRefused as refused:
            return refused.why
        order = session.get(SurveyOrder, order_id)
        if order is None:
            return "forged"
        if order.email == FORGOTTEN:  # its customer was erased (or the retention period is over): a dead link
            return "expired"
        return order, session.get_one(Brand, order.brand_id)

    def show_form(token: str, form: dict[str, str] | None) -> HTMLResponse:
        now = utcnow()
        with sessions.begin() as session:
            found = opened(session, FORM, token)
            if isinstance(found, str):
                return html(refused_page(found), REFUSED[found])
            order, brand = found
            language = order.language
            answer = answer_of(session, order.id)
            if not editable(answer, edit, now):
                return html(message_page(language, "closed"), 409)
            if form is None:  # the page itself: an earlier answer is shown to be changed
                values = _answer_values(answer) if answer else {}
                return html(
                    form_page(language, brand.name, brand.slug, order.order_ref, values, {}, now, order.ordered_at)
                )
            fields, problems = check(form, order, now)
            if fields is None:
                page = form_page(
                    language, brand.name, brand.slug, order.order_ref, form, problems, now, order.ordered_at
                )
                return html(page, 422)
            try:
                saved = save(session, order, fields, edit, now)
            except AnswerClosed:
                return html(message_page(language, "closed"), 409)
            return html(thanks_page(language, saved.created_at + edit if edit else None))

    async def form(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "GET":
            return await run_in_threadpool(show_form, token, None)
        data = await request.form()
        values = {key: str(value) for key, value in data.items() if isinstance(value, str)}
        return await run_in_threadpool(show_form, token, values)

    def do_unsubscribe(token: str, post: bool) -> HTMLResponse:
        with sessions.begin() as session:
            found = opened(session, UNSUBSCRIBE, token)
            if isinstance(found, str):
                return html(refused_page(found), REFUSED[found])
            order, brand = found
            if not post:  # a GET may be a link scanner fetching every link: it changes nothing (RFC 8058)
                return html(unsubscribe_page(order.language, brand.name))
            opt_out(session, brand.id, order.email, "unsubscribe", utcnow())
            return html(message_page(order.language, "unsubscribed"))

    async def unsubscribe(request: Request) -> Response:
        return await run_in_threadpool(do_unsubscribe, request.path_params["token"], request.method == "POST")

    def do_orders(brand_slug: str, body: bytes, name: str) -> JSONResponse:
        with sessions.begin() as session:
            brand = session.scalar(select(Brand).where(Brand.slug == brand_slug))
            if brand is None:
                return JSONResponse({"error": f"no brand {brand_slug!r} in settings"}, status_code=404)
            try:
                result = store_orders(session, brand.id, read_orders(body, name), settings.surveys.campaign)
            except OrdersFileError as error:
                # Nothing is stored from a file with a bad row: the sender fixes it and sends it again.
                return JSONResponse(
                    {"error": "malformed rows, nothing imported", "problems": error.problems}, status_code=422
                )
        return JSONResponse(vars(result))

    async def orders(request: Request) -> Response:
        token = settings.intake.token
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            log.warning("orders intake for %s refused: bad or missing token", request.path_params["brand"])
            return JSONResponse({"error": "missing or wrong bearer token ([intake] token)"}, status_code=401)
        body = await request.body()  # at most [intake] max_body_bytes: web/limits.py refused a larger one
        name = "orders.json" if "json" in request.headers.get("Content-Type", "") else "orders.csv"
        return await run_in_threadpool(do_orders, request.path_params["brand"], body, name)

    return [
        Route("/survey/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
        Route("/survey/{token}", form, methods=["GET", "POST"]),
        Route("/intake/orders/{brand}", orders, methods=["POST"]),
    ]


def _answer_values(answer: Any) -> dict[str, Any]:
    return {
        "stars": answer.stars,
        "title": answer.title,
        "text": answer.text,
        "nps": answer.nps,
        "csat": answer.csat,
        "ces": answer.ces,
        "experienced_at": answer.experienced_at.date().isoformat(),
        "consent": answer.consent,
    }

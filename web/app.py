"""The HTTP app served by `veilleur serve`: Slack's interactivity endpoint, the survey intake, the survey form and
its orders endpoint, the console."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from alerts.crisis_cell import handlers as crisis_cell_handlers
from alerts.reply_modal import Replies, slack_view_opener
from alerts.slack_actions import workflow_handlers
from scheduler.context import Context
from web.console.app import console_mount
from web.feed import publishing_routes
from web.intake import intake_routes
from web.limits import BodyLimit, NoNul
from web.slack import slack_routes
from web.survey import survey_routes


def create_app(context: Context) -> Starlette:
    settings = context.settings
    slack = settings.slack

    async def health(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [Route("/health", health)]
    # The Reply button opens a modal through the Web API: only with a bot token (webhook mode has no modals).
    replies = (
        Replies(settings.moderation.reply_templates, slack_view_opener(slack.bot_token, slack.base_url))
        if slack.bot_token
        else None
    )
    people = settings.console.people()  # a Slack user an account names acts and is assigned under its name
    handlers = workflow_handlers(people) | crisis_cell_handlers()  # the crisis channel's "Close crisis" button
    moderators = set(slack.moderators)
    routes += slack_routes(context.sessions, slack.signing_secret, moderators, handlers, replies=replies, people=people)
    routes += intake_routes(context.sessions, settings.intake.token, settings.crawl.pseudonym_secret)
    routes += publishing_routes(context.sessions, settings)
    routes += survey_routes(context)
    limits = [("/intake/", settings.intake.max_body_bytes)]
    middleware = [
        Middleware(BodyLimit, default=settings.serve.max_body_bytes, limits=limits),
        Middleware(NoNul),
    ]
    return Starlette(routes=[*routes, console_mount(context)], middleware=middleware)

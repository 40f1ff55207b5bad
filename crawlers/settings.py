"""Scrapy settings. Values that an operator may change come from settings.toml through `scrapy_settings`."""

from __future__ import annotations

from typing import Any

from config.settings import Settings

BOT_NAME = "veilleur"
SPIDER_MODULES = ["crawlers.spiders"]

ITEM_PIPELINES = {
    "crawlers.pipelines.clean_text.CleanTextPipeline": 100,
    "crawlers.pipelines.normalise.NormalisePipeline": 200,
    "crawlers.pipelines.dedupe.DedupePipeline": 300,
    "crawlers.pipelines.store.StorePipeline": 900,
}
EXTENSIONS = {"crawlers.health.SourceHealth": 500}


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    crawl = settings.crawl
    return {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "EXTENSIONS": EXTENSIONS,
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay_seconds,
        "HTTPCACHE_ENABLED": crawl.http_cache,
        "HTTPCACHE_DIR": str(settings.path(".cache/scrapy-httpcache")),
        # 429 and 5xx are retried with back-off by Scrapy's retry middleware; the final status reaches health.
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "HTTPERROR_ALLOW_ALL": False,
        "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 8 * 1024 * 1024,
        "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19 starts, in every crawl, an HTTP server on localhost that runs Python code sent to it (for its
        # MCP server), its token in a job file in the user's home: no worker needs it, and it is a way in.
        "REMOTE_CONTROL_ENABLED": False,
        "VEILLEUR_DATABASE_URL": settings.database_url(),
        # Empty: the store pipeline uses the key generated for the database (models/identity.py).
        "VEILLEUR_PSEUDONYM_SECRET": settings.crawl.pseudonym_secret,
    }

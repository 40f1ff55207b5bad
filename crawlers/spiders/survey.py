"""The brand's own survey export, read from a URL (https://, or file:// for a file the worker can read):
CSV or JSON, see crawlers/parsing/survey.py for the columns. A file with a malformed row yields nothing and
the source turns unhealthy, naming the lines: the same all-or-nothing rule as `import_survey`."""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy

from crawlers.parsing.page import NotRecognised, Page, PagedSpider
from crawlers.parsing.survey import SurveyFileError, read_survey


def read(response: scrapy.http.Response) -> Page:
    try:
        return Page(read_survey(response.body, urlsplit(response.url).path or response.url, response.url))
    except SurveyFileError as error:
        raise NotRecognised(str(error)) from None


class SurveySpider(PagedSpider):
    name = "survey"
    read = staticmethod(read)

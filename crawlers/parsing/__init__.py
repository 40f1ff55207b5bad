"""Helpers shared by the site spiders: the page result type, body decoding, feeds, URL paging, survey rows."""

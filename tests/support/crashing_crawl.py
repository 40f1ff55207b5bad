"""Stands in for crawlers.run in a test: a crawl process that dies abruptly."""

import os
import sys

print("simulated spider crash", file=sys.stderr, flush=True)
os.abort()

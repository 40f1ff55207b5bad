"""Pages per second per source kind over the saved pages (tests/fixtures), as `veilleur extract` reads them.

    python -m bench.parsing [--seconds 2]

Each saved page of a kind is read by that kind's parser and the pipelines' clean-up (crawlers/extract.py), in
one process, over and over for about `--seconds` per page; pages a kind refuses (hostile or broken on purpose)
are left out and counted. Printed per kind: pages, pages/s (all its pages in turn), the slowest page's ms, from
wall time and from this process's CPU time (on a shared machine the CPU figure leaves out the time other processes
held the core; it is the one to compare between runs). Goal: >= 200 pages/s on every kind. Figures, never
assertions: CPUs differ.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
# kind -> its saved pages (folders under tests/fixtures)
PAGES = {
    "schema_org": ["realdata/schema_org", "crawlers/schema_org", "synthetic"],
    "trustpilot": ["realdata/trustpilot", "crawlers/trustpilot"],
    "google_places": ["realdata/google_places", "crawlers/google_places"],
    "avis_verifies": ["crawlers/avis_verifies"],
    "app_store": ["realdata/appstore", "crawlers/app_store"],
    "feed": ["realdata/feeds"],
    "mastodon": ["realdata/mastodon", "crawlers/mastodon"],
    "hackernews": ["realdata/hackernews"],
    "reddit": ["realdata/reddit", "crawlers/reddit"],
    "youtube": ["realdata/youtube"],
    "survey": ["crawlers/survey", "demo"],
}


def pages(kind: str) -> list[Path]:
    found = []
    for folder in PAGES[kind]:
        for path in sorted((FIXTURES / folder).iterdir()):
            if path.is_file() and not path.name.endswith((".expected.json", ".md")):
                found.append(path)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each page")
    args = parser.parse_args()
    from crawlers.extract import ExtractError, extract

    header = f"{'kind':15} {'pages':>5} {'refused':>7} {'pages/s':>8} {'slowest ms':>10}"
    print(f"{header} {'CPU pages/s':>11} {'CPU slowest':>11}")
    for kind in PAGES:
        timings, cpu, refused = [], [], 0
        for path in pages(kind):
            try:
                extract(kind, str(path))
            except ExtractError:
                refused += 1
                continue
            runs, started, cpu_started = 0, time.perf_counter(), time.process_time()
            while runs < 3 or time.perf_counter() - started < args.seconds:
                extract(kind, str(path))
                runs += 1
            timings.append((time.perf_counter() - started) / runs)
            cpu.append((time.process_time() - cpu_started) / runs)
        if not timings:
            print(f"{kind:15} {0:5} {refused:7} {'-':>8} {'-':>10} {'-':>11} {'-':>11}")
            continue
        rate, cpu_rate = len(timings) / sum(timings), len(cpu) / sum(cpu)
        print(
            f"{kind:15} {len(timings):5} {refused:7} {rate:8.0f} {max(timings) * 1000:10.1f} {cpu_rate:11.0f} "
            f"{max(cpu) * 1000:11.1f}"
        )


if __name__ == "__main__":
    main()

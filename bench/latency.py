"""From a review appearing on a page to its Slack message, through a real worker (bench/live.py).

    python -m bench.latency [--samples 3] [--crawl-minutes 1] [--root DIR]

Default settings (the real classifier, [scheduler] intervals, fatigue rules) with the crawl interval shortened.
Each sample is a new 1-star review on its own brand's page (one brand per sample, so the alert cooldown of one
does not hold the next), added once the worker has crawled, classified and routed a first positive review on
every page (the model loaded). Printed per sample: appeared -> crawled (the crawl interval's share), crawled ->
in Slack (the goal: under 60 s), appeared -> in Slack. `--root` runs another checkout's code, e.g. round3 from
`git archive round3 | tar x -C /tmp/round3`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench import live

NEGATIVE = "Colis jamais arrivé, aucune réponse du service client depuis trois semaines, je veux être remboursé"
POSITIVE = "Très bon produit, livraison rapide, je recommande"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--crawl-minutes", type=int, default=1)
    parser.add_argument("--root", type=Path, default=live.HERE, help="the checkout whose worker runs")
    parser.add_argument("--timeout", type=float, default=1500, help="seconds to wait for one alert")
    args = parser.parse_args()
    brands = [f"b{number}" for number in range(1, args.samples + 1)]
    site = live.Site()
    for brand in brands:
        site.add(brand, live.Review(f"warm-{brand}", POSITIVE, 5))
    server = site.serve()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as name:
        folder = Path(name)
        settings = live.write_settings(folder, server.server_address[1], brands, args.crawl_minutes)
        worker = live.start_worker(args.root, settings, folder / "worker.log")
        started = time.monotonic()
        try:
            ready = live.wait_for(
                "the first reviews", lambda: live.routed(folder / "veilleur.db", len(brands)), 1800, worker, 0.5
            )
            print(f"worker {args.root}: first reviews routed {ready - started:.0f} s after its start")
            rows = []
            for brand in brands:
                review = live.Review(f"late-{brand}", NEGATIVE, 1)
                site.add(brand, review)
                sent = live.wait_for(
                    review.marker, lambda r=review: live.in_sink(folder / "sink.jsonl", r.marker), args.timeout, worker
                )
                assert review.crawled is not None
                rows.append((review.crawled - review.added, sent - review.crawled, sent - review.added))
                print(
                    f"  {brand}: appeared -> crawled {rows[-1][0]:6.1f} s, crawled -> Slack {rows[-1][1]:6.1f} s, "
                    f"appeared -> Slack {rows[-1][2]:6.1f} s"
                )
        except SystemExit:
            print((folder / "worker.log").read_text()[-3000:])
            raise
        finally:
            live.stop(worker)
            server.shutdown()
        for label, column in (("appeared -> crawled", 0), ("crawled -> Slack", 1), ("appeared -> Slack", 2)):
            values = [row[column] for row in rows]
            print(f"{label:20} median {statistics.median(values):6.1f} s  max {max(values):6.1f} s")


if __name__ == "__main__":
    main()

"""The worker's memory (RSS of the worker process, crawls being child processes of their own), idle and peak.

    python -m bench.memory [--idle-minutes 1] [--watch 150] [--root DIR]

A real worker with the shipped settings (the transformer classifier, the encoder's topic tagger) crawls one
brand's page of a local site (bench/live.py): one positive and one negative review. Printed: RSS at start, peak
RSS once both reviews are classified, routed and tagged (both models loaded), and RSS after `--watch` seconds
with nothing to do. `--idle-minutes` sets [classifier] idle_unload_minutes (omit it for a checkout without that
key, e.g. round3 with `--root`).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench import live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=live.HERE)
    parser.add_argument("--idle-minutes", type=int, default=None)
    parser.add_argument("--watch", type=float, default=150, help="seconds idle before the last reading")
    args = parser.parse_args()
    if args.idle_minutes is not None:
        os.environ["VEILLEUR__CLASSIFIER__IDLE_UNLOAD_MINUTES"] = str(args.idle_minutes)
    site = live.Site()
    site.add("b1", live.Review("good", "Très bon produit, livraison rapide, je recommande", 5))
    site.add("b1", live.Review("bad", "Colis jamais arrivé et aucune réponse du service client", 1))
    server = site.serve()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as name:
        folder = Path(name)
        settings = live.write_settings(folder, server.server_address[1], ["b1"], 60)
        worker = live.start_worker(args.root, settings, folder / "worker.log")
        database = folder / "veilleur.db"
        try:
            live.wait_for("the database", database.exists, 300, worker, 0.2)
            time.sleep(1)  # migrations done: the worker's floor before any model
            start, _ = live.rss_mb(worker.pid)
            live.wait_for("classification", lambda: live.routed(database, 2), 1800, worker, 0.2)
            live.wait_for("topic tagging", lambda: live.tagged(database, 2), 1800, worker, 0.2)
            busy, peak = live.rss_mb(worker.pid)
            time.sleep(args.watch)
            idle, peak = live.rss_mb(worker.pid)
        except SystemExit:
            print((folder / "worker.log").read_text()[-3000:])
            raise
        finally:
            live.stop(worker)
            server.shutdown()
    print(f"worker {args.root} (idle_unload_minutes {args.idle_minutes})")
    print(f"  RSS at start           {start:7.0f} MB")
    print(f"  RSS after its work     {busy:7.0f} MB")
    print(f"  RSS after {args.watch:4.0f} s idle  {idle:7.0f} MB")
    print(f"  peak RSS               {peak:7.0f} MB")


if __name__ == "__main__":
    main()

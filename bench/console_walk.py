"""Keystrokes, clicks and page loads for a moderator clearing a queue of 200 reviews in the console.

    python -m bench.console_walk [--width 1280] [--walk one-by-one|all-matching|mouse-by-page]

Chromium (Debian's /usr/bin/chromium) drives the console served by uvicorn on 127.0.0.1, on a fresh SQLite
database each run (tests/console/walk.py does the walking). Printed: the counts, the time the walk took and the
horizontal overflow at that width. Figures, never assertions: tests/console/test_walk.py asserts the outcome.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.console import walk
from tests.console.browser import chromium, serve
from web.app import create_app

WALKS = {
    "one-by-one": walk.clear_one_by_one,
    "all-matching": walk.clear_all_matching,
    "mouse-by-page": walk.clear_by_page_with_the_mouse,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, action="append", help="window width in px (repeatable)")
    parser.add_argument("--walk", choices=list(WALKS), action="append", help="which walk (repeatable)")
    args = parser.parse_args()
    for width in args.width or [1280, 390]:
        for name in args.walk or list(WALKS):
            with tempfile.TemporaryDirectory() as folder:
                context = walk.walk_context(Path(folder))
                try:
                    with serve(create_app(context)) as base, chromium() as browser:
                        page = walk.sign_in(browser, base, width)
                        tally = WALKS[name](page, base, context)
                        left, wider = walk.waiting(context), walk.overflow(page)
                finally:
                    context.close()
            print(
                f"{width:>5} px  {name:<14} keystrokes {tally.keys:>4}  clicks {tally.clicks:>3}  "
                f"page loads {tally.loads:>4}  left {left:>3}  overflow {wider:>4} px  {tally.seconds:6.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Benchmark: French dates read by crawlers/parsing/french.py's regex against dateparser (issue 14 asked whether
dateparser, already a dependency, should replace the month table).

    python -m bench.french_dates

Reads every date the saved Avis Vérifiés pages and survey exports hold, both ways, and prints the time per
date, dateparser's one-off start-up (import and French data), and any date the two read differently. Last run
(2 shared cores): regex 0.006 ms per date; dateparser 1.5 ms per date and 0.2-0.45 s to start, same readings
on these pages; it does not find "1er mars 2024" among other words. The regex stays.
"""

from __future__ import annotations

import time
from typing import Any

from crawlers.parsing.french import french_date

# The shapes the saved pages and exports hold (tests/fixtures/crawlers/avis_verifies, survey), and neighbours.
DATES = [
    "12/03/2024 à 14h05",
    "02/03/2024",
    "3 mars 2024 à 21h47",
    "1er mars 2024",
    "20 février 2024",
    "15 février 2024",
    "10/02/2024",
    "05/03/2024",
    "28/05/2024",
    "1er juin 2024",
    "1 fevr. 2024",
    "7 Juil. 2023",
    "25 décembre 2023 à 23h59",
    "le 12/03/2024 à 14:05",
    "1er mars 2024 suite à une commande",
]
SETTINGS: dict[str, Any] = {
    "DATE_ORDER": "DMY",
    "TIMEZONE": "Europe/Paris",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["absolute-time"],
    "RETURN_TIME_AS_PERIOD": True,  # tells a moment from a bare date, as the regex does
}


def main() -> None:
    started = time.perf_counter()
    from dateparser.date import DateDataParser

    parser = DateDataParser(languages=["fr"], settings=SETTINGS)
    parser.get_date_data(DATES[0])
    print(f"dateparser start-up (import, French data): {time.perf_counter() - started:.3f} s")

    def with_dateparser(text: str) -> str:
        found = parser.get_date_data(text)
        if found.date_obj is None:
            return text
        return found.date_obj.isoformat() if found.period == "time" else found.date_obj.date().isoformat()

    rounds = 200
    for name, read in (("regex", french_date), ("dateparser", with_dateparser)):
        started = time.perf_counter()
        for _ in range(rounds):
            for text in DATES:
                read(text)
        per_date = (time.perf_counter() - started) / rounds / len(DATES) * 1000
        print(f"{name:>10}: {per_date:.3f} ms per date")
    for text in DATES:
        if french_date(text) != with_dateparser(text):
            print(f"read differently: {text!r}: regex {french_date(text)!r}, dateparser {with_dateparser(text)!r}")


if __name__ == "__main__":
    main()

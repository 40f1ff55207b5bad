"""What Veilleur accepts from outside (pages, APIs, survey exports), in one place: past a limit a value is refused
for its field or its item, with a reason, never guessed at or cut. README.md ("Limits on input") lists them.

The lengths follow the database columns (models/schema.py) where there is one; the others keep hostile input
cheap: a 1 MB "date" once cost dateparser a minute per review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A rating scale's best and worst lie within ±100; kept with the scale check in models/, which the feed reads too.
from models.ratings import RATING_SCALE_LIMIT as RATING_SCALE_LIMIT

# Text, counted in characters after HTML is removed. Longer text is refused, never cut: words are not changed.
MAX_TEXT_LENGTH = 500_000  # a review's or a post's text, the brand's reply: far above any real one
MAX_TITLE_LENGTH = 1_000
MAX_AUTHOR_LENGTH = 300  # models.Author.name: String(300)
MAX_LANGUAGE_LENGTH = 12  # models.Mention.language: String(12)
MAX_ID_LENGTH = 200  # models.Mention.external_id: String(200); a longer site id is stored as its hash
TEXT_LIMITS = {
    "text": MAX_TEXT_LENGTH,
    "reply_text": MAX_TEXT_LENGTH,
    "title": MAX_TITLE_LENGTH,
    "author": MAX_AUTHOR_LENGTH,
    "language": MAX_LANGUAGE_LENGTH,
}

# Numbers: finite, given as a number or as short text ("4,5").
MAX_NUMBER_LENGTH = 40
MAX_REACH = 10_000_000_000  # followers, points, likes: more than any account has

# Dates: short text, and a moment between 1990 and a day after now (a site's clock may run a little ahead).
MAX_DATE_LENGTH = 100
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=1)

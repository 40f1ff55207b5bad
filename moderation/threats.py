"""Threats and hate: words that must reach a human whatever the model scores and whatever the policy decides.

The classifier has one abuse head (`toxic`: insult, threat or hate alike) and an abusive own review is rejected
by it; a threat ("je vais vous crever") is more than abuse: the brand may have to protect staff or go to the
police, so it is always alerted (AlertKind.THREAT, never held by quiet hours or cooldowns), rejected or not.
The model cannot say which abuse is a threat, so these are plain patterns, French and English, kept short and
specific: a miss here still leaves the model's abuse score; a false alarm costs one message."""

from __future__ import annotations

import re
from dataclasses import dataclass

# \b word boundaries; (?:...) keeps the match readable in the alert ("why: threat: 'vais vous crever'").
_YOU_FR = r"(?:vous|te|t'|toi|votre|ta|ton)"
_THREATS = [
    # "je vais vous crever", "on va te tuer", "je vais venir vous buter", "je vais te défoncer la gueule"
    rf"\b(?:je|j'|on|nous)\s*(?:vais|va|allons|vas)\s+(?:venir\s+|aller\s+)?{_YOU_FR}\s*"
    r"(?:crever|tuer|buter|égorger|egorger|fumer|planter|défoncer|defoncer|massacrer|cramer|brûler|bruler)\b",
    r"\b(?:vous|tu)\s+(?:allez|vas)\s+(?:crever|mourir)\b",
    r"\b(?:faire\s+sauter|mettre\s+le\s+feu\s+à|cramer|brûler|bruler)\s+(?:votre|ton|ta|le|la|vos)\s+"
    r"(?:magasin|boutique|agence|entrepôt|entrepot|locaux|bureau|bureaux|restaurant|usine)\b",
    r"\bje\s+sais\s+où\s+(?:vous\s+habitez|tu\s+habites|il\s+habite|elle\s+habite)\b",
    r"\b(?:i'?ll|i\s+will|i'?m\s+going\s+to|we'?ll|we\s+will|gonna)\s+(?:come\s+and\s+)?"
    r"(?:(?:kill|shoot|stab|hurt|murder)\s+(?:you|u|him|her|them|every\s*one|all\s+of\s+you|your)"
    r"|(?:burn|blow)\s+(?:down|up)\s+(?:your|the|this))\b",
    r"\byou(?:'re|\s+are)\s+(?:going\s+to|gonna)\s+die\b",
    r"\bi\s+know\s+where\s+(?:you|he|she|they)\s+lives?\b",
]
# Attacks on a group for what it is (not a complaint about a person's service).
_GROUPS_FR = r"(?:arabes?|juifs?|noirs?|musulmans?|pédés?|pedes?|bougnoules?|négros?|negros?|youpins?|gitans?)"
_HATE = [
    rf"\bsales?\s+{_GROUPS_FR}\b",
    rf"\b(?:mort\s+aux|à\s+mort\s+les)\s+{_GROUPS_FR}\b",
    r"\b(?:retourne|rentre|retournez|rentrez)\s+(?:dans\s+(?:ton|votre)\s+pays|chez\s+(?:toi|vous)\s+en\s+afrique)\b",
    r"\bgo\s+back\s+to\s+(?:your|ur)\s+(?:own\s+)?country\b",
    r"\b(?:death\s+to\s+(?:all\s+)?(?:jews|muslims|arabs|blacks|gays))\b",
]
_COMPILED = [("threat", re.compile(p, re.IGNORECASE)) for p in _THREATS] + [
    ("hate", re.compile(p, re.IGNORECASE)) for p in _HATE
]


@dataclass(frozen=True)
class Danger:
    kind: str  # "threat" or "hate"
    words: str  # what matched, quoted in the alert's "why"

    @property
    def reason(self) -> str:
        return f"{self.kind}: '{self.words}'"


def find_danger(text: str) -> Danger | None:
    """The first threat or hate pattern `text` matches, or None."""
    flat = " ".join(text.replace("’", "'").split())
    for kind, pattern in _COMPILED:
        match = pattern.search(flat)
        if match:
            return Danger(kind, match.group(0))
    return None

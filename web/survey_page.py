"""The hosted survey form's HTML, French and English: one self-contained page (inline CSS, no script, no font,
no image, nothing fetched from anywhere), mobile first, every control labelled and reachable by keyboard."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Votre avis sur la commande {order}",
        "intro": "Merci de prendre deux minutes. Les champs marqués * sont obligatoires.",
        "stars": "Votre note globale *",
        "star": "{n} sur 5",
        "review_title": "Titre de votre avis",
        "text": "Votre avis",
        "nps": "Quelle est la probabilité que vous recommandiez {brand} à un proche ?",
        "nps_ends": "0 : pas du tout probable, 10 : très probable",
        "csat": "Êtes-vous satisfait(e) de cet achat ?",
        "csat_ends": "1 : pas du tout satisfait(e), 5 : très satisfait(e)",
        "ces": "Était-il facile de commander et de recevoir votre commande ?",
        "ces_ends": "1 : très difficile, 7 : très facile",
        "experienced_at": "Date de votre expérience *",
        "consent": "J'accepte que mon avis (prénom et initiale, note, titre, texte) soit publié"
        " sur le site de {brand}.",
        "disclosure": "Comment les avis sont vérifiés et publiés",
        "send": "Envoyer mon avis",
        "errors": "Merci de corriger les champs signalés.",
        "required": "Ce champ est obligatoire.",
        "range": "Choisissez une valeur proposée.",
        "date": "Saisissez une date.",
        "date_range": "Choisissez une date entre la commande et aujourd'hui.",
        "long": "Ce texte est trop long.",
        "thanks": "Merci pour votre avis !",
        "editable": "Vous pouvez encore le modifier avec le même lien jusqu'au {until}.",
        "closed": "Vous avez déjà répondu pour cette commande. Merci !",
        "forged": "Ce lien n'est pas valide.",
        "expired": "Ce lien a expiré.",
        "unsubscribe": "Ne plus recevoir d'invitation de {brand}",
        "unsubscribe_button": "Me désabonner",
        "unsubscribed": "C'est fait : vous ne recevrez plus d'invitation à donner votre avis.",
    },
    "en": {
        "title": "Your opinion of order {order}",
        "intro": "Thank you for taking two minutes. Fields marked * are required.",
        "stars": "Your overall rating *",
        "star": "{n} out of 5",
        "review_title": "Title of your review",
        "text": "Your review",
        "nps": "How likely are you to recommend {brand} to a friend?",
        "nps_ends": "0: not at all likely, 10: extremely likely",
        "csat": "How satisfied are you with this purchase?",
        "csat_ends": "1: not at all satisfied, 5: very satisfied",
        "ces": "How easy was it to order and receive your order?",
        "ces_ends": "1: very difficult, 7: very easy",
        "experienced_at": "Date of your experience *",
        "consent": "I agree that my review (first name and initial, rating, title, text) is published"
        " on {brand}'s site.",
        "disclosure": "How reviews are checked and published",
        "send": "Send my review",
        "errors": "Please correct the fields marked below.",
        "required": "This field is required.",
        "range": "Choose one of the values offered.",
        "date": "Enter a date.",
        "date_range": "Choose a date between the order and today.",
        "long": "This text is too long.",
        "thanks": "Thank you for your review!",
        "editable": "You can still change it with the same link until {until}.",
        "closed": "You have already answered for this order. Thank you!",
        "forged": "This link is not valid.",
        "expired": "This link has expired.",
        "unsubscribe": "Stop invitations from {brand}",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed": "Done: you will receive no more invitations to review.",
    },
}

# Contrast: body text #1a1a1a on white (17:1), accents #0b57d0 (6.3:1); a 3px focus ring on every control.
STYLE = """
*{box-sizing:border-box}body{margin:0;font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff}
main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;line-height:1.25}
fieldset{border:1px solid #767676;border-radius:.5rem;margin:0 0 1rem;padding:.75rem}
legend{font-weight:600;padding:0 .25rem}.ends{margin:.25rem 0;color:#4a4a4a;font-size:.9rem}
.scale{display:flex;flex-wrap:wrap;gap:.4rem}.scale label{display:flex;align-items:center;justify-content:center;
gap:.2rem;min-width:2.75rem;min-height:2.75rem;border:1px solid #767676;border-radius:.4rem;padding:0 .4rem}
.scale input{margin:0}label.field{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=date],textarea{width:100%;font:inherit;padding:.6rem;border:1px solid #767676;
border-radius:.4rem}textarea{min-height:8rem}.consent{display:flex;gap:.6rem;align-items:flex-start;margin:1rem 0}
.consent input{width:1.4rem;height:1.4rem;margin-top:.15rem;flex:none}a{color:#0b57d0}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}.error{color:#b3261e;font-weight:600;margin:.25rem 0}
button{font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:.5rem;
padding:.8rem 1.4rem;min-height:2.75rem;width:100%}@media(min-width:48rem){main{padding:2rem}button{width:auto}}
"""


def page(language: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def message_page(language: str, key: str, **values: str) -> str:
    said = WORDS[language][key].format(**values)
    return page(language, said, f"<h1>{escape(said)}</h1>")


def refused_page(why: str) -> str:
    """A link refused before we know whose it is: said in both languages."""
    french, english = WORDS["fr"][why], WORDS["en"][why]
    return page("fr", french, f'<h1>{escape(french)}</h1><p lang="en">{escape(english)}</p>')


def _error(words: dict[str, str], problems: dict[str, str], name: str) -> str:
    if name not in problems:
        return ""
    return f'<p class="error" id="{name}-error">{escape(words[problems[name]])}</p>'


def _described(problems: dict[str, str], name: str) -> str:
    return f' aria-describedby="{name}-error" aria-invalid="true"' if name in problems else ""


def _scale(
    words: dict[str, str], name: str, low: int, high: int, value: Any, problems: dict[str, str], **fmt: str
) -> str:
    legend = escape(words[name].format(**fmt))
    ends = f'<p class="ends" id="{name}-ends">{escape(words[name + "_ends"])}</p>' if f"{name}_ends" in words else ""
    required = " required" if name == "stars" else ""
    options = []
    for n in range(low, high + 1):
        checked = " checked" if value == n else ""
        # Stars read as "4 out of 5" to a screen reader; the others are their number.
        shown = f'{n}<span aria-hidden="true">★</span>' if name == "stars" else str(n)
        label = f' aria-label="{escape(words["star"].format(n=n))}"' if name == "stars" else ""
        options.append(
            f'<label><input type="radio" name="{name}" value="{n}"{checked}{required}{label}>{shown}</label>'
        )
    described = f' aria-describedby="{name}-ends"' if ends else ""
    return (
        f"<fieldset{described}><legend>{legend}</legend>{ends}{_error(words, problems, name)}"
        f'<div class="scale">{"".join(options)}</div></fieldset>'
    )


def form_page(
    language: str,
    brand: str,
    brand_slug: str,
    order_ref: str,
    values: dict[str, Any],
    problems: dict[str, str],
    today: datetime,
    ordered: datetime,
) -> str:
    words = WORDS[language]
    title = words["title"].format(order=order_ref)
    summary = f'<p class="error" role="alert">{escape(words["errors"])}</p>' if problems else ""
    consent = " checked" if values.get("consent") else ""
    body = (
        f"<h1>{escape(title)}</h1><p>{escape(words['intro'])}</p>{summary}"
        '<form method="post">'
        + _scale(words, "stars", 1, 5, values.get("stars"), problems)
        + f'<label class="field" for="title">{escape(words["review_title"])}</label>{_error(words, problems, "title")}'
        f'<input type="text" id="title" name="title" maxlength="200" value="{escape(values.get("title") or "")}"'
        f"{_described(problems, 'title')}>"
        f'<label class="field" for="text">{escape(words["text"])}</label>{_error(words, problems, "text")}'
        f'<textarea id="text" name="text" maxlength="5000"{_described(problems, "text")}>'
        f"{escape(values.get('text') or '')}</textarea>"
        + _scale(words, "nps", 0, 10, values.get("nps"), problems, brand=brand)
        + _scale(words, "csat", 1, 5, values.get("csat"), problems)
        + _scale(words, "ces", 1, 7, values.get("ces"), problems)
        + f'<label class="field" for="experienced_at">{escape(words["experienced_at"])}</label>'
        f"{_error(words, problems, 'experienced_at')}"
        f'<input type="date" id="experienced_at" name="experienced_at" required'
        f' min="{ordered.date().isoformat()}" max="{today.date().isoformat()}"'
        f' value="{escape(values.get("experienced_at") or "")}"{_described(problems, "experienced_at")}>'
        # Unticked unless the customer ticked it: publication needs a deliberate yes (DESIGN.md).
        f'<div class="consent"><input type="checkbox" id="consent" name="consent" value="yes"{consent}>'
        f'<label for="consent">{escape(words["consent"].format(brand=brand))}'
        f' <a href="/disclosure/{escape(brand_slug)}.html" target="_blank">{escape(words["disclosure"])}</a>'
        "</label></div>"
        f'<button type="submit">{escape(words["send"])}</button></form>'
    )
    return page(language, title, body)


def thanks_page(language: str, until: datetime | None) -> str:
    words = WORDS[language]
    more = ""
    if until is not None:
        when = until.strftime("%d/%m/%Y %H:%M UTC" if language == "fr" else "%Y-%m-%d %H:%M UTC")
        more = f"<p>{escape(words['editable'].format(until=when))}</p>"
    return page(language, words["thanks"], f"<h1>{escape(words['thanks'])}</h1>{more}")


def unsubscribe_page(language: str, brand: str) -> str:
    words = WORDS[language]
    title = words["unsubscribe"].format(brand=brand)
    body = (
        f'<h1>{escape(title)}</h1><form method="post">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(words["unsubscribe_button"])}</button></form>'
    )
    return page(language, title, body)

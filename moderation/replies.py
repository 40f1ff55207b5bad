"""Reply templates per language, from `[moderation.reply_templates]`: language -> name -> text with {name}."""

from __future__ import annotations

from models import Mention


class TemplateError(ValueError):
    """No such template for the review's language, or a template with an unknown placeholder."""


def template_language(mention: Mention, templates: dict[str, dict[str, str]]) -> str:
    """The review's language if there are templates for it, else French (Veilleur is French-first)."""
    language = (mention.language or "fr").split("-")[0]
    return language if language in templates else "fr"


def render_template(templates: dict[str, dict[str, str]], mention: Mention | None, name: str) -> str:
    if mention is None:
        raise TemplateError("no such mention")
    language = template_language(mention, templates)
    choices = templates.get(language, {})
    if name not in choices:
        known = ", ".join(sorted(choices)) or "none"
        raise TemplateError(f"no reply template {name!r} for language {language!r} (known: {known})")
    display = (mention.author.display_name if mention.author else None) or ""
    try:
        return choices[name].format(name=display).replace(" ,", ",").replace("  ", " ")
    except (KeyError, IndexError, ValueError) as error:
        raise TemplateError(f"reply template {language}.{name}: unknown placeholder {error}") from None

"""The post-purchase survey's settings (`[surveys]`): invitations, the solicitation cap, the e-mail templates."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from config.checks import Section, key_error


class SurveyTemplate(Section):
    """One language's invitation e-mail. Placeholders: {first_name} {brand} {order_ref} {link} {unsubscribe}."""

    subject: str
    reminder_subject: str
    text: str
    html: str

    @model_validator(mode="after")
    def _known_placeholders(self) -> SurveyTemplate:
        values = dict.fromkeys(SURVEY_PLACEHOLDERS, "x")
        for key in ("subject", "reminder_subject", "text", "html"):
            try:
                getattr(self, key).format(**values)
            except (KeyError, IndexError, ValueError) as error:
                known = ", ".join("{" + name + "}" for name in SURVEY_PLACEHOLDERS)
                raise key_error(
                    (key,), getattr(self, key)[:60], f"unknown placeholder {error} (known: {known})"
                ) from None
        for key in ("text", "html"):
            if "{link}" not in getattr(self, key) or "{unsubscribe}" not in getattr(self, key):
                raise key_error((key,), getattr(self, key)[:60], "must contain {link} and {unsubscribe}")
        return self


SURVEY_PLACEHOLDERS = ("first_name", "brand", "order_ref", "link", "unsubscribe")
SURVEY_TEMPLATES = {
    "fr": SurveyTemplate(
        subject="{brand} : votre avis sur la commande {order_ref}",
        reminder_subject="Rappel : votre avis sur la commande {order_ref}",
        text="Bonjour {first_name},\n\nVotre commande {order_ref} est arrivée. Deux minutes pour nous dire ce que"
        " vous en pensez ?\n\n{link}\n\nNe plus recevoir ces messages : {unsubscribe}\n",
        html="<p>Bonjour {first_name},</p><p>Votre commande {order_ref} est arrivée. Deux minutes pour nous dire ce"
        ' que vous en pensez ?</p><p><a href="{link}">Donner mon avis</a></p>'
        '<p><small><a href="{unsubscribe}">Ne plus recevoir ces messages</a></small></p>',
    ),
    "en": SurveyTemplate(
        subject="{brand}: how was order {order_ref}?",
        reminder_subject="Reminder: how was order {order_ref}?",
        text="Hello {first_name},\n\nYour order {order_ref} has arrived. Two minutes to tell us what you think?"
        "\n\n{link}\n\nStop these messages: {unsubscribe}\n",
        html="<p>Hello {first_name},</p><p>Your order {order_ref} has arrived. Two minutes to tell us what you"
        ' think?</p><p><a href="{link}">Give my opinion</a></p>'
        '<p><small><a href="{unsubscribe}">Stop these messages</a></small></p>',
    ),
}


class SurveySettings(Section):
    """The post-purchase survey (surveys/): invitations by e-mail, the hosted form, the solicitation cap."""

    source: str = "survey"  # the brand's source of kind survey that answers are filed under as reviews
    campaign: str = Field(default="post-purchase", min_length=1, max_length=100)  # for orders that name none
    delay_days: int = Field(default=3, ge=0)  # the invitation leaves this long after delivery
    reminder_days: int = Field(default=4, ge=0)  # one reminder this long after an unanswered invitation; 0: none
    # The cap: never more than cap_invitations invitations to one customer in cap_days, across every campaign.
    cap_invitations: int = Field(default=1, ge=1)
    cap_days: int = Field(default=90, ge=1)
    link_days: int = Field(default=30, ge=1)  # the survey link works this long after the invitation
    edit_hours: float = Field(default=24.0, ge=0)  # an answer can be changed this long, then becomes a review
    send_minutes: int = Field(default=15, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    templates: dict[str, SurveyTemplate] = Field(default_factory=lambda: dict(SURVEY_TEMPLATES))

    @field_validator("templates")
    @classmethod
    def _both_languages(cls, templates: dict[str, SurveyTemplate]) -> dict[str, SurveyTemplate]:
        missing = [language for language in ("fr", "en") if language not in templates]
        extra = [language for language in templates if language not in ("fr", "en")]
        if missing or extra:
            raise ValueError(f"templates must be exactly fr and en (missing: {missing}, unknown: {extra})")
        return templates

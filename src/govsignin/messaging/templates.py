"""Message templates, in English and Welsh. The same text is pasted into GOV.UK Notify
templates (with ((placeholders))), whose ids are configured per template and language."""

from __future__ import annotations

TEMPLATES: dict[str, dict[str, str]] = {
    "new-sign-in": {
        "en": "You signed in to your GOV.UK account at ((time)). If this was not you, change your password.",
        "cy": "Gwnaethoch fewngofnodi i'ch cyfrif GOV.UK am ((time)). Os nad chi oedd hwn, newidiwch eich cyfrinair.",
    },
}


def render_body(template: str, personalisation: dict, lang: str = "en") -> str:
    text = TEMPLATES.get(template, {}).get(lang) or TEMPLATES.get(template, {}).get("en") or template
    for name, value in personalisation.items():
        text = text.replace(f"(({name}))", str(value))
    return text

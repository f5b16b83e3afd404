"""Message templates, in English and Welsh. The same text is pasted into GOV.UK Notify
templates (with ((placeholders))), whose ids are configured per template and language."""

from __future__ import annotations

TEMPLATES: dict[str, dict[str, str]] = {
    "new-sign-in": {
        "en": "You signed in to your GOV.UK account at ((time)). If this was not you, change your password.",
        "cy": "Gwnaethoch fewngofnodi i'ch cyfrif GOV.UK am ((time)). Os nad chi oedd hwn, newidiwch eich cyfrinair.",
    },
    # Account creation and sign-in by text message (journeys/pages/create_account.py)
    "email-code-create": {
        "en": "((code)) is your security code to create your ((service)) account. It expires in 1 hour. If you did not ask for it, you do not need to do anything.",
        "cy": "((code)) yw eich cod diogelwch i greu eich cyfrif ((service)). Mae'n dod i ben mewn 1 awr. Os na wnaethoch ofyn amdano, nid oes angen i chi wneud unrhyw beth.",
    },
    "account-exists-notice": {
        "en": "Someone tried to create a ((service)) account with this email address, but you already have one. If it was you, sign in with your email address and password instead. If it was not you, you do not need to do anything.",
        "cy": "Ceisiodd rhywun greu cyfrif ((service)) gyda'r cyfeiriad e-bost hwn, ond mae gennych un yn barod. Os mai chi oedd hwn, mewngofnodwch gyda'ch cyfeiriad e-bost a'ch cyfrinair yn lle hynny. Os nad chi oedd hwn, nid oes angen i chi wneud unrhyw beth.",
    },
    "sms-code-create": {
        "en": "((code)) is your ((service)) security code to set up text messages. It expires in 15 minutes.",
        "cy": "((code)) yw eich cod diogelwch ((service)) i osod negeseuon testun. Mae'n dod i ben mewn 15 munud.",
    },
    "sms-code-sign-in": {
        "en": "((code)) is your ((service)) security code. It expires in 15 minutes. Do not share it with anyone.",
        "cy": "((code)) yw eich cod diogelwch ((service)). Mae'n dod i ben mewn 15 munud. Peidiwch â'i rannu gydag unrhyw un.",
    },
    "email-code-sign-in": {  # an imported account's address, confirmed at its first sign-in
        "en": "((code)) is your security code to confirm the email address of your ((service)) account. It expires in 15 minutes. Do not share it with anyone.",
        "cy": "((code)) yw eich cod diogelwch i gadarnhau cyfeiriad e-bost eich cyfrif ((service)). Mae'n dod i ben mewn 15 munud. Peidiwch â'i rannu gydag unrhyw un.",
    },
    "account-created": {
        "en": "You've created your ((service)) account. You can use it to sign in to other government services. If you did not create it, contact us.",
        "cy": "Rydych wedi creu eich cyfrif ((service)). Gallwch ei ddefnyddio i fewngofnodi i wasanaethau eraill y llywodraeth. Os na wnaethoch ei greu, cysylltwch â ni.",
    },
    # Account management (manage/)
    "change-email-code": {
        "en": "((code)) is your security code to change the email address of your GOV.UK account. It expires in 15 minutes.",
        "cy": "((code)) yw eich cod diogelwch i newid cyfeiriad e-bost eich cyfrif GOV.UK. Mae'n dod i ben mewn 15 munud.",
    },
    "email-changed": {
        "en": "The email address of your GOV.UK account was changed to ((new_email)). If you did not do this, contact us.",
        "cy": "Cafodd cyfeiriad e-bost eich cyfrif GOV.UK ei newid i ((new_email)). Os na wnaethoch chi hyn, cysylltwch â ni.",
    },
    "change-phone-code": {
        "en": "((code)) is your security code to change the phone number of your GOV.UK account. It expires in 15 minutes.",
        "cy": "((code)) yw eich cod diogelwch i newid rhif ffôn eich cyfrif GOV.UK. Mae'n dod i ben mewn 15 munud.",
    },
    "password-changed": {
        "en": "The password of your GOV.UK account was changed at ((time)). If you did not do this, contact us.",
        "cy": "Cafodd cyfrinair eich cyfrif GOV.UK ei newid am ((time)). Os na wnaethoch chi hyn, cysylltwch â ni.",
    },
    "security-codes-changed": {
        "en": "How you get security codes for your GOV.UK account changed at ((time)): ((change)). If you did not do this, contact us.",
        "cy": "Newidiodd y ffordd rydych yn cael codau diogelwch ar gyfer eich cyfrif GOV.UK am ((time)): ((change)). Os na wnaethoch chi hyn, cysylltwch â ni.",
    },
    "activity-reported": {
        "en": "Thank you for reporting activity on your GOV.UK account. Your report number is ((report_number)). We will look into it.",
        "cy": "Diolch am roi gwybod am weithgarwch ar eich cyfrif GOV.UK. Rhif eich adroddiad yw ((report_number)). Byddwn yn ymchwilio iddo.",
    },
    "account-deleted": {
        "en": "Your GOV.UK account has been deleted. Services you used keep their own records; contact them to delete those.",
        "cy": "Mae eich cyfrif GOV.UK wedi cael ei ddileu. Mae gwasanaethau a ddefnyddiwyd gennych yn cadw eu cofnodion eu hunain; cysylltwch â nhw i ddileu'r rheini.",
    },
}


def render_body(template: str, personalisation: dict, lang: str = "en") -> str:
    text = TEMPLATES.get(template, {}).get(lang) or TEMPLATES.get(template, {}).get("en") or template
    for name, value in personalisation.items():
        text = text.replace(f"(({name}))", str(value))
    return text


# Recovery (journeys/pages/recovery.py): password reset and a lost second factor.
TEMPLATES.update({
    "reset-password-code": {
        "en": "((code)) is your security code to reset the password of your GOV.UK account. It expires in 15 minutes. If you did not ask to reset your password, you can ignore this email.",
        "cy": "((code)) yw eich cod diogelwch i ailosod cyfrinair eich cyfrif GOV.UK. Mae'n dod i ben mewn 15 munud. Os na wnaethoch ofyn i ailosod eich cyfrinair, gallwch anwybyddu'r e-bost hwn.",
    },
    "reset-password-sms-code": {
        "en": "((code)) is your GOV.UK security code to reset your password. It expires in 15 minutes.",
        "cy": "((code)) yw eich cod diogelwch GOV.UK i ailosod eich cyfrinair. Mae'n dod i ben mewn 15 munud.",
    },
    "mfa-reset-code": {
        "en": "((code)) is your security code to change how you get security codes for your GOV.UK account. It expires in 15 minutes.",
        "cy": "((code)) yw eich cod diogelwch i newid sut rydych yn cael codau diogelwch ar gyfer eich cyfrif GOV.UK. Mae'n dod i ben mewn 15 munud.",
    },
    "mfa-reset-requested": {
        "en": "Someone asked to change how you get security codes for your GOV.UK account. If this was you, you can set up a new way after ((time)). If this was not you, stop the change at ((cancel_link)) (or enter the code ((cancel_code)) at that page), then reset your password.",
        "cy": "Gofynnodd rhywun i newid sut rydych yn cael codau diogelwch ar gyfer eich cyfrif GOV.UK. Os mai chi oedd hwn, gallwch osod ffordd newydd ar ôl ((time)). Os nad chi oedd hwn, stopiwch y newid yn ((cancel_link)) (neu rhowch y cod ((cancel_code)) ar y dudalen honno), yna ailosodwch eich cyfrinair.",
    },
})

# Telling the owner (journeys/pages/recovery.py): a recovery code used, a lost-factor request on every phone.
TEMPLATES.update({
    "mfa-reset-requested-sms": {
        "en": "Someone asked to change how you get GOV.UK security codes. If this was not you, stop it at ((cancel_link)) and reset your password.",
        "cy": "Gofynnodd rhywun i newid sut rydych yn cael codau diogelwch GOV.UK. Os nad chi oedd hwn, stopiwch hyn yn ((cancel_link)) ac ailosodwch eich cyfrinair.",
    },
    "recovery-code-used": {
        "en": "A recovery code was used for your GOV.UK account at ((time)). You have ((left)) unused recovery codes. If this was not you, reset your password and get new recovery codes.",
        "cy": "Defnyddiwyd cod adfer ar gyfer eich cyfrif GOV.UK am ((time)). Mae gennych ((left)) cod adfer heb eu defnyddio. Os nad chi oedd hwn, ailosodwch eich cyfrinair a chael codau adfer newydd.",
    },
})

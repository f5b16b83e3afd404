"""/account/activity-history: the citizen's own audit events, newest first, in plain words;
each can be reported ("report this activity"), which gives a report number by email."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from govsignin.audit.models import AuditEvent, events_of
from govsignin.audit.tags import EventTag
from govsignin.manage.common import Account, go, open_account
from govsignin.web.i18n import N_

HISTORY_LIMIT = 100
REPORT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# What each event means to the citizen. Events not listed here are not shown.
DESCRIPTIONS: dict[str, str] = {
    EventTag.AccountCreated: N_("You created your GOV.UK account"),
    EventTag.ActivityReported: N_("You reported activity on your account"),
    EventTag.AuthAppChanged: N_("You changed your authenticator app"),
    EventTag.AuthAppCodeFailure: N_("Someone entered a wrong security code"),
    EventTag.CodeLockout: N_("Security codes were locked after too many wrong attempts"),
    EventTag.EmailChanged: N_("You changed your email address"),
    EventTag.LoginFailure: N_("Someone entered a wrong password"),
    EventTag.LoginSuccess: N_("You signed in"),
    EventTag.LogoutEverywhere: N_("You signed out of all devices"),
    EventTag.LogoutSuccess: N_("You signed out"),
    EventTag.PasswordChanged: N_("You changed your password"),
    EventTag.PasswordLockout: N_("Your account was locked after too many wrong passwords"),
    EventTag.PhoneChanged: N_("You changed your phone number"),
    EventTag.BackupMethodAdded: N_("You added a backup method for security codes"),
    EventTag.BackupMethodRemoved: N_("You removed a backup security code method"),
    EventTag.DefaultMethodSwitched: N_("You changed your default method for security codes"),
    EventTag.PasskeyAdded: N_("You added a passkey"),
    EventTag.PasskeyRemoved: N_("You removed a passkey"),
    EventTag.RecoveryCodesRegenerated: N_("You got new recovery codes"),
}
for name, text in (  # tags other flows add (recovery, passkeys), described when they exist
    ("RecoveryCodeUsed", N_("A recovery code was used to sign in")),
    ("PasswordReset", N_("You reset your password")),
):
    if hasattr(EventTag, name):
        DESCRIPTIONS[getattr(EventTag, name)] = text


async def _events(services, user_id: str, event_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(events_of(user_id), AuditEvent.tag.in_([str(t) for t in DESCRIPTIONS]))
    if event_id is not None:
        query = query.where(AuditEvent.id == event_id)
    query = query.order_by(AuditEvent.id.desc()).limit(HISTORY_LIMIT)
    async with services.sessionmaker() as db:
        return list((await db.execute(query)).scalars().all())


async def _rows(account: Account, events) -> list[dict]:
    names: dict[str, str | None] = {}
    rows = []
    for e in events:
        if e.client_id and e.client_id not in names:
            client = await account.services.registry.get(e.client_id)
            names[e.client_id] = client.name if client else None
        rows.append({"id": e.id, "text": DESCRIPTIONS[e.tag], "when": e.created_at,
                     "service": names.get(e.client_id) if e.client_id else None})
    return rows


async def activity_history(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    events = await _events(account.services, account.user.id)
    return account.render(request, "manage/activity-history.html", events=await _rows(account, events))


async def report_activity(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    raw = account.form.get("event") or request.query_params.get("event") or ""
    event_id = int(raw) if raw.isdigit() and len(raw) < 19 else None
    events = await _events(services, user.id, event_id) if event_id is not None else []
    if not events:  # not theirs, not shown, or not a number: back to the list
        return go("/account/activity-history")
    row = (await _rows(account, events))[0]
    if request.method == "GET":
        return account.render(request, "manage/report-activity.html", event=row)
    number = "GS-" + "".join(secrets.choice(REPORT_ALPHABET) for _ in range(8))
    await services.audit.record(EventTag.ActivityReported, user_id=user.id, request=request,
                                event_id=event_id, report_number=number)
    from govsignin.web.templating import pick_language

    await services.messages.send_email(user.email, "activity-reported", {"report_number": number}, pick_language(request))
    return account.render(request, "manage/activity-reported.html", report_number=number, email=user.email)

"""Send limits: every security code sent counts, per journey, destination, account and IP, and
text messages count against one service-wide daily budget (docs/security.md, "Messages").

Each counter is a store `incr` with a TTL from its first count (a fixed window), shared by every
instance. A request increments first and decides on the value it got back, so concurrent
requests cannot all slip under a cap: the Nth increment is the Nth send, whichever request made it.

| counter | key | window | default cap |
|---|---|---|---|
| journey | the journey id | journey lifetime | `sends_per_journey` 20 |
| destination | keyed hash of the address or number | 24 hours | `sends_per_destination_per_day` 10 |
| account | the user id, when its holder proved a password | 24 hours | `sends_per_account_per_day` 30 |
| IP | keyed hash of the client IP, with the rate limits on | 1 hour | `sends_per_ip_per_hour` 100 |
| SMS budget | one per service | 24 hours | `sms_daily_budget` 10000 |

The SMS budget is counted only for a text message every other limit allowed. The send that
first goes over it pages an operator: the ERROR log line `sms_budget_exceeded`, the metric
`govsignin_sms_budget_exceeded_total` (every refusal) and the audit event
`messaging:sms_budget:exceeded`.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

import structlog

from govsignin.web import metrics
from govsignin.web.i18n import N_

log = structlog.get_logger(__name__)
DAY, HOUR = 86400, 3600


class Refusal(StrEnum):
    RESENDS = "resends"  # re-sends of one code (accounts/codes.py)
    JOURNEY = "journey"
    DESTINATION = "destination"
    ACCOUNT = "account"
    IP = "ip"
    SMS_BUDGET = "sms_budget"


def country_codes(settings) -> set[str]:
    return {c.strip().lstrip("+") for c in settings.sms_country_codes.split(",") if c.strip()}


def sms_country_problem(settings, e164: str) -> str | None:
    """A GOV.UK error message when this number's country is not on the allow-list, else None.
    `e164` is parse_mobile's result (+447700900123)."""
    import phonenumbers  # as accounts/phone.py: loaded when a number is entered

    allowed = country_codes(settings)
    try:
        code = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        code = ""
    if code in allowed:
        return None
    if allowed == {"44"}:
        return N_("Enter a UK mobile phone number")
    return N_("We cannot send text messages to phone numbers in that country. Enter a different mobile phone number")


class SendLimits:
    def __init__(self, settings, store, audit=None):
        self.settings = settings
        self.store = store
        self.audit = audit
        self._key = "sends:" + settings.client_secret_hash_key
        from govsignin.ratelimit import enabled

        self.count_ip = enabled(settings)

    def _h(self, value: str) -> str:
        return hmac.new(self._key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()[:40]

    async def admit(self, channel: str, destination: str, *, journey: str | None = None,
                    account: str | None = None, ip: str | None = None) -> Refusal | None:
        """Count one send and decide: None to send, or the limit it went over (the send is refused)."""
        s = self.settings
        counters = [(Refusal.DESTINATION, f"send:d:{self._h(destination)}", DAY, s.sends_per_destination_per_day)]
        if journey:
            counters.append((Refusal.JOURNEY, f"send:j:{self._h(journey)}", s.journey_ttl, s.sends_per_journey))
        if account:
            counters.append((Refusal.ACCOUNT, f"send:a:{self._h(account)}", DAY, s.sends_per_account_per_day))
        if ip and self.count_ip:
            counters.append((Refusal.IP, f"send:ip:{self._h(ip)}", HOUR, s.sends_per_ip_per_hour))
        refusal = None
        for kind, key, window, cap in counters:  # every counter counts the attempt, then decide
            if await self.store.incr(key, window) > cap and refusal is None:
                refusal = kind
        if refusal is None and channel == "sms":
            refusal = await self._sms_budget()
        if refusal is not None:
            metrics.send_refused(refusal.value)
        return refusal

    async def _sms_budget(self) -> Refusal | None:
        budget = self.settings.sms_daily_budget
        count = await self.store.incr("send:sms-budget", DAY)
        if count <= budget:
            return None
        metrics.sms_budget_exceeded()
        if count == budget + 1:  # the first refusal pages; the metric counts every one
            log.error("sms_budget_exceeded", budget=budget, window_seconds=DAY)
            if self.audit is not None:
                from govsignin.audit.tags import EventTag

                await self.audit.record(EventTag.SmsBudgetExceeded, budget=budget)
        return Refusal.SMS_BUDGET


def cannot_send_sms_page(request):
    """The page for a text message the SMS budget refused (503: try again later)."""
    templates = request.app.state.services.templates
    return templates.render(request, "errors/cannot-send-text-messages.html", status=503)

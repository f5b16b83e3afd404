"""What the journey state machine (test_journey_state_machine.py) drives and checks.

One attacker with one browser (a cookie jar, two tabs) against the real app over in-process
HTTP. The attacker owns a mailbox (every address at their own domain), a phone, their own
account (authenticator app) and every account they create; they know a victim's email and
password, and a second victim's (text messages to a phone that is not theirs), but never the
victims' second factor.

`Knowledge.presented` records which factor the attacker presented for which account in the
current journey (a new one starts at /authorize or an account page that sends the browser to
sign in): a password counts for every account it is the password of, an authenticator code for
every account whose app generates it, a text-message code for every account with the
attacker's phone. `Knowledge.session_backing` is what backed the browser session's sign-in (an
earlier journey's facts, for the account the session is signed in as). The invariant
(`Knowledge.require`): a session, an authorization code or an account page for account X at
level Cl needs X's password presented in this journey or backing the session; at Cl.Cm, X's
second factor as well.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pyotp
from sqlalchemy import select

from govsignin.accounts.models import MfaMethod, PasswordCredential
from govsignin.messaging.models import OutboxMessage
from govsignin.oidc.subject import subject_for

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET_SHOWN = re.compile(r'<code id="secret-key"[^>]*>([A-Z2-7 ]+)</code>')
SIGNED_IN_AS = re.compile(r"signed in as ([^<\s]+@[^<\s]+?)\.?</p>")
NEXT_FIELD = re.compile(r'name="next" value="([^"]*)"')
WRONG_CODE = "000000"


class InvariantBroken(AssertionError):
    pass


@dataclass
class Account:
    email: str
    password: str | None
    owner: str  # "attacker" or "victim"
    totp_secret: str | None = None
    phone: str | None = None
    user_id: str | None = None


@dataclass
class Tab:
    path: str | None = None  # the page it shows (None: a service's page, or nothing yet)
    html: str = ""
    pending: str | None = None  # a redirect not followed yet
    history: list[str] = field(default_factory=list)


def new_password() -> str:
    return f"attacker-pw-{secrets.token_hex(6)}"


class Knowledge:
    """The attacker's secrets, and the model of which factors they presented for which account."""

    def __init__(self, services, rps):
        self.services = services
        self.rps = rps
        self.domain = f"attacker-{uuid.uuid4().hex[:8]}.example.com"
        self.phone = f"+447400{secrets.randbelow(10**6):06d}"
        self.accounts: dict[str, Account] = {}
        self.presented: set[tuple[str, str]] = set()  # in the current journey
        self.session_backing: set[tuple[str, str]] = set()  # behind the session's sign-in
        self.used_steps: set[tuple[str, int]] = set()
        self.created = 0
        self.creating: dict = {}  # what the attacker typed on the create-account pages
        self.victim_hashes: dict[str, tuple] = {}

    # --- accounts ---------------------------------------------------------------------------

    async def make_accounts(self, hashed: dict[str, str]):
        """The attacker's account and the two victims, fresh for every example (lockouts and
        used authenticator codes stay with them); `hashed`: each persona's password and its
        argon2id hash, made once per module."""
        from govsignin.accounts.registration import SecondFactor, write_account

        services = self.services
        for name, owner, totp, phone in (
            ("attacker", "attacker", True, None),
            ("victim", "victim", True, None),
            ("victim-sms", "victim", False, f"+447400{secrets.randbelow(10**6):06d}"),
        ):
            email = f"{name}@{self.domain}" if owner == "attacker" else f"{name}-{uuid.uuid4().hex[:8]}@example.com"
            password, password_hash = hashed[name]
            account = Account(email, password, owner, pyotp.random_base32() if totp else None, phone)
            factor = SecondFactor("auth_app", totp_secret=account.totp_secret) if totp else SecondFactor("sms", phone=phone)
            user = await write_account(services.sessionmaker, services.accounts.box, email=email,
                                       password_hash=password_hash, factor=factor, phone=phone)
            account.user_id = user.id
            self.accounts[account.email] = account
        for account in self.victims():
            self.victim_hashes[account.email] = await self._security_state(account.user_id)

    def victims(self) -> list[Account]:
        return [a for a in self.accounts.values() if a.owner == "victim"]

    def persona(self, who: str) -> Account:
        if who == "victim":
            return self.victims()[0]
        if who == "victim_sms":
            return self.victims()[1]
        created = [a for a in self.accounts.values() if a.owner == "attacker" and a.email.startswith("new")]
        if who.startswith("new") and created:
            return created[-1]
        return self.accounts[f"attacker@{self.domain}"]

    def fresh_address(self) -> str:
        self.created += 1
        return f"new{self.created}-{uuid.uuid4().hex[:4]}@{self.domain}"

    def mine(self, address: str) -> bool:
        return address.lower().endswith("@" + self.domain) or address == self.phone

    # --- what the attacker can type ---------------------------------------------------------

    def totp_code(self, account: Account) -> str:
        """The next authenticator code of an account whose app the attacker holds (each
        30-second step is accepted once, so take one not typed yet)."""
        if not account.totp_secret or account.owner != "attacker":
            return WRONG_CODE
        totp, now = pyotp.TOTP(account.totp_secret), int(time.time() // 30)
        for step in (now, now + 1):  # not now - 1: it may be out of the window by the time it is typed
            if (account.email, step) not in self.used_steps:
                return totp.generate_otp(step)
        return WRONG_CODE

    async def newest_code(self, to: str | None = None, channel: str = "email") -> str:
        """The newest code in the attacker's mailbox (to `to` if it is theirs) or on their phone."""
        t = OutboxMessage.__table__
        query = select(t.c.recipient, t.c.personalisation).where(t.c.channel == channel).order_by(t.c.id.desc()).limit(50)
        if channel == "sms":
            query = query.where(t.c.recipient == self.phone)
        elif to and self.mine(to):
            query = query.where(t.c.recipient == to.lower())
        else:
            query = query.where(t.c.recipient.like(f"%@{self.domain}"))
        async with self.services.engine.connect() as conn:
            for _, personalisation in await conn.execute(query):
                if isinstance(personalisation, dict) and personalisation.get("code"):
                    return str(personalisation["code"])
        return WRONG_CODE

    def code_pool(self, page_html: str = "") -> list[str]:
        codes = [self.totp_code(a) for a in self.accounts.values() if a.owner == "attacker" and a.totp_secret]
        shown = SECRET_SHOWN.search(page_html)
        if shown:
            codes.append(pyotp.TOTP(shown.group(1).replace(" ", "")).now())
        return codes + [WRONG_CODE, "12345", "abcdef"]

    # --- presenting factors -----------------------------------------------------------------

    def typed(self, fields: dict) -> None:
        """Record the factors a submitted form presents (whatever the page made of them)."""
        for name, value in fields.items():
            if name in ("password", "confirm-password"):
                for account in self.accounts.values():
                    if account.password and secrets.compare_digest(account.password, value):
                        self.presented.add((account.email, "password"))
            elif name == "code" and value.isdigit():
                now = int(time.time() // 30)
                for account in self.accounts.values():
                    if account.totp_secret and account.owner == "attacker":
                        totp = pyotp.TOTP(account.totp_secret)
                        for step in (now - 1, now, now + 1):
                            if totp.generate_otp(step) == value:
                                self.used_steps.add((account.email, step))
                                self.presented.add((account.email, "second"))

    async def sms_code_typed(self, value: str) -> None:
        """A code from the attacker's phone proves the phone: the second factor of every
        account whose text messages go to it."""
        t = OutboxMessage.__table__
        async with self.services.engine.connect() as conn:
            sent = {str((p or {}).get("code")) for (p,) in await conn.execute(
                select(t.c.personalisation).where(t.c.recipient == self.phone))}
        if value in sent:
            for account in self.accounts.values():
                if account.phone == self.phone:
                    self.presented.add((account.email, "second"))

    async def account_created(self) -> None:
        """The create-account journey wrote an account: if it is at the attacker's address,
        they set its password and second factor in this browser."""
        email = self.creating.get("email", "")
        if not self.mine(email) or email in self.accounts:
            return
        user = await self.services.accounts.by_email(email)
        if user is None:
            return
        password = self.creating.get("password")
        if password and not await self.services.accounts.check_password(user.id, password):
            password = None
        account = Account(email, password, "attacker", await self.services.accounts.auth_app_secret(user.id),
                          user.phone_number, user.id)
        self.accounts[email] = account
        if "totp_step" in self.creating:  # the code that confirmed the app cannot be typed again
            self.used_steps.add((email, self.creating["totp_step"]))
        self.presented.update({(email, "password"), (email, "second")})

    async def password_reset(self, password: str) -> None:
        """A reset finished: find which of the attacker's accounts has the new password."""
        for account in self.accounts.values():
            if account.owner == "attacker" and account.user_id is None:
                user = await self.services.accounts.by_email(account.email)
                account.user_id = user.id if user else None
            if account.owner == "attacker" and account.user_id and await self.services.accounts.check_password(account.user_id, password):
                account.password = password
                self.presented.add((account.email, "password"))

    async def factor_replaced(self, secret: str, step: int | None) -> None:
        """The lost-factor flow set a new authenticator app; the attacker holds its secret."""
        for account in self.accounts.values():
            if account.user_id and await self.services.accounts.auth_app_secret(account.user_id) == secret:
                if account.owner == "victim":
                    raise InvariantBroken(f"the victim's second factor was replaced from the attacker's browser: {account.email}")
                account.totp_secret = secret
                self.used_steps.add((account.email, step))
                self.presented.add((account.email, "second"))

    # --- the invariant ----------------------------------------------------------------------

    def require(self, email: str, level: str, what: str) -> set:
        needed = {(email, "password")} | ({(email, "second")} if level == "Cl.Cm" else set())
        missing = needed - self.presented - self.session_backing
        if missing:
            owner = self.accounts[email].owner if email in self.accounts else "unknown"
            raise InvariantBroken(
                f"{what} for {owner} account {email} at {level}, but the attacker never presented "
                f"{', '.join(sorted(f for _, f in missing))} for it (presented in this journey: "
                f"{sorted(self.presented)}; behind the session: {sorted(self.session_backing)})"
            )
        return needed

    async def journey_started(self, session_id: str | None) -> None:
        """A new journey: what was typed before it counts no more (except what backs the session)."""
        await self.check_session(session_id)
        self.presented = set()

    async def email_of(self, user_id: str) -> str:
        for account in self.accounts.values():
            if account.user_id == user_id:
                return account.email
        user = await self.services.accounts.get(user_id)
        return user.email if user else f"<deleted {user_id}>"

    async def check_session(self, session_id: str | None) -> None:
        session = await self.services.sessions.load(session_id) if session_id else None
        if session is not None and session.signed_in:
            self.session_backing = self.require(await self.email_of(session.user_id), session.level or "Cl", "a browser session")
        else:
            self.session_backing = set()

    async def check_code(self, backchannel, location: str) -> None:
        """A redirect to a service: redeem its code as the service would, and see whose it is."""
        rp = next((rp for rp in self.rps if location.startswith(rp.redirect_uri)), None)
        if rp is None:
            raise InvariantBroken(f"redirect to an unregistered URI {location}")
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "code" not in params:
            return
        response = await rp.token(backchannel, params["code"])
        assert response.status_code == 200, (response.status_code, response.text)
        body = response.json()
        claims = (await rp.verify_id_token(backchannel, body["id_token"]))["claims"]
        info = await backchannel.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
        email = info.json()["email"]
        user = await self.services.accounts.by_email(email)
        client = await self.services.registry.get(rp.client_id)
        assert claims["sub"] == subject_for(client, user.internal_subject_id, self.services.settings.subject_salt)
        self.require(email, claims["vot"], "an authorization code")

    def check_account_page(self, html: str, session_email: str | None) -> None:
        shown = SIGNED_IN_AS.search(html)
        if shown:
            email = unescape(shown.group(1))
            assert session_email is None or email == session_email, (email, session_email)
            self.require(email, "Cl.Cm", "an account page")

    async def _security_state(self, user_id: str) -> tuple:
        async with self.services.engine.connect() as conn:
            pw = (await conn.execute(select(PasswordCredential.hash).where(PasswordCredential.user_id == user_id))).scalar()
            rows = await conn.execute(
                select(MfaMethod.kind, MfaMethod.secret_encrypted, MfaMethod.phone_number).where(MfaMethod.user_id == user_id)
            )
            return pw, sorted(tuple(str(v) for v in r) for r in rows)

    async def check_victims_unchanged(self) -> None:
        for account in self.victims():
            if await self._security_state(account.user_id) != self.victim_hashes[account.email]:
                raise InvariantBroken(f"the victim's password or second factor changed: {account.email}")

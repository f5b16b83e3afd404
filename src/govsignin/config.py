"""Typed settings, read from GOVSIGNIN_* environment variables (see docs/configuration.md).

Every option has a default that works on a laptop. Defaults that are unsafe in production are
listed in `Settings.production_problems()`, and `GOVSIGNIN_ENV=production` refuses to start
while any of them is in force.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import os
import typing
from typing import Literal
from urllib.parse import urlsplit

# Development-only key for encrypting signing keys at rest. Production must set its own.
DEVELOPMENT_KEY_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktZG8tbm90LXVzZSE="  # 'development-only-key-do-not-use!'
DEVELOPMENT_SECRET_HASH_KEY = "development-only-client-secret-hash-key"
DEVELOPMENT_IDENTITY_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1pZGVudGl0eS1rZXkhISE="  # 'development-only-identity-key!!!'


ENV_PREFIX = "GOVSIGNIN_"
TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class SettingsError(ValueError):
    """A setting that cannot be read as its type; the message names the variable."""


def Field(default=dataclasses.MISSING, *, default_factory=dataclasses.MISSING, description: str = ""):
    return dataclasses.field(default=default, default_factory=default_factory, metadata={"description": description})


def _coerce(name: str, kind, value):
    """A value from the environment (text) or from code, as the annotated type: str, int,
    float, bool, a Literal, dict[str, str] (JSON in the environment) or X | None."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if args and type(None) in args and origin is not Literal:  # X | None
        if value is None:
            return None
        kind = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    text = value.strip() if isinstance(value, str) else None
    try:
        if origin is Literal:
            if value in args:
                return value
        elif kind is bool:
            if isinstance(value, bool):
                return value
            if text is not None and text.lower() in TRUE | FALSE:
                return text.lower() in TRUE
        elif kind is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if text is not None:
                return int(text)
        elif kind is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if text is not None:
                return float(text)
        elif kind is str:
            if isinstance(value, str):
                return value
        elif origin is dict:
            parsed = json.loads(value) if isinstance(value, str) else value
            if isinstance(parsed, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
                return dict(parsed)
    except ValueError:
        pass
    expected = " or ".join(repr(a) for a in args) if origin is Literal else getattr(kind, "__name__", str(kind))
    raise SettingsError(f"{ENV_PREFIX}{name.upper()}: {value!r} is not a valid {expected}.")


@dataclasses.dataclass(init=False)
class Settings:
    """Every GOVSIGNIN_* setting. `Settings(**values)`: each field from `values`, else from the
    environment variable GOVSIGNIN_<FIELD> (any case), else its default; extra names are ignored.
    (A dataclass rather than pydantic-settings, which cost ~10 MiB of memory in every worker.)"""

    env: Literal["development", "test", "production"] = Field(default="development", description="`production` refuses to start while an insecure default is in force")
    database_url: str = Field(default="sqlite+aiosqlite:///var/govsignin.db", description="SQLAlchemy async URL; PostgreSQL (postgresql+asyncpg://) in production")
    redis_url: str | None = Field(default=None, description="When set, sessions, journeys, codes, tokens, counters and replay caches live in Redis")
    issuer: str | None = Field(
        default=None, description="Exact issuer; defaults to http://localhost:<port>"
    )
    port: int = Field(default=8000, description="Port for `serve` (also --port)")
    db_pool_size: int = Field(default=10, description="PostgreSQL connections kept per worker")
    db_max_overflow: int = Field(default=10, description="PostgreSQL connections a worker may open beyond the pool")
    db_hot_connections: int = Field(
        default=4,
        description="Of each worker's pool, the connections kept by the hot paths (sign-in reads, audit appends, the store without Redis)",
    )

    # Keys and secrets
    key_encryption_key: str = Field(
        default=DEVELOPMENT_KEY_ENCRYPTION_KEY,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts signing keys at rest",
    )
    client_secret_hash_key: str = Field(
        default=DEVELOPMENT_SECRET_HASH_KEY,
        description="HMAC key for client_secret_post secrets (stored as keyed SHA-256)",
    )
    key_cache_seconds: float = Field(
        default=30.0, description="How long an instance trusts its cached view of signing keys"
    )
    jwks_max_age: int = Field(default=3600, description="Cache-Control max-age on the JWKS")
    key_retire_seconds: int = Field(
        default=86400,
        description="How long a replaced key stays published (tokens, logout hints, RP caches)",
    )

    # Lifetimes (One Login's numbers)
    code_ttl: int = Field(default=300, description="Lifetime of an authorization code, in seconds")
    access_token_ttl: int = Field(default=180, description="Lifetime of an access token, in seconds")
    id_token_ttl: int = Field(default=120, description="Lifetime of an ID token, in seconds")
    session_idle_seconds: int = Field(default=3600, description="The sign-in session's idle timeout, in seconds")
    journey_ttl: int = Field(default=3600, description="Lifetime of one sign-in or registration journey, in seconds")
    pre_sign_in_seconds: int = Field(
        default=900,
        description="How long a browser session that only visited /authorize is kept, until its first form post "
        "(then session_idle_seconds): an anonymous /authorize costs the store this long at most",
    )
    logout_token_ttl: int = Field(default=120, description="Lifetime of a back-channel logout token, in seconds")
    client_assertion_max_lifetime: int = Field(default=3600, description="Longest lifetime (exp - iat) of a private_key_jwt client assertion, in seconds")
    request_object_max_lifetime: int = Field(
        default=3600,
        description="Longest lifetime (exp - iat) of a signed request object at /authorize, in seconds",
    )
    clock_skew: int = Field(default=30, description="Seconds of clock difference allowed when checking exp, iat and nbf")

    # Lockouts (onelogin-contract.md §2)
    max_password_retries: int = Field(default=6, description="Wrong passwords before the account's sign-in is locked for lockout_seconds")
    max_code_retries: int = Field(default=6, description="Wrong security codes before that kind of code is locked for lockout_seconds")
    lockout_seconds: int = Field(default=7200, description="How long a password or code lockout lasts (2 h)")
    code_retry_count_ttl: int = Field(default=900, description="How long wrong security codes are counted towards max_code_retries, in seconds")
    max_reset_password_requests: int = Field(default=6, description="Password-reset emails one account may request before a 15-minute block")
    max_consecutive_failures: int = Field(
        default=100,
        description="Consecutive wrong passwords, or wrong second-factor codes, on one account before its sign-in "
        "is blocked until a password reset or a lost-factor recovery (NIST SP 800-63B: at most 100)",
    )
    consecutive_failure_seconds: int = Field(
        default=2592000,
        description="How long consecutive failures are remembered, and the longest such a block lasts (30 days); "
        "only a success resets the count",
    )
    mfa_change_block_seconds: int = Field(default=172800, description="After a password reset, second factors cannot change for this long (48 h)")
    mfa_reset_wait_seconds: int = Field(default=259200, description="Lost second factor without a recovery code: wait this long (72 h) after the notice email")
    mfa_reset_use_seconds: int = Field(default=86400, description="A matured lost-factor request may be used once, within this long (24 h) after the wait")

    # Passwords: OWASP's argon2id parameters, never weakened for speed (production refuses less
    # than OWASP_ARGON2ID_FLOORS; development and tests may, to keep the suite quick)
    argon2_time_cost: int = Field(default=2, description="argon2id iterations (production refuses less than OWASP's minimum)")
    argon2_memory_kib: int = Field(default=19456, description="argon2id memory in KiB (production refuses less than OWASP's minimum)")
    argon2_parallelism: int = Field(default=1, description="argon2id lanes")
    argon2_threads: int = Field(
        default=0,
        description="Hashing threads per worker (each keeps one 19 MiB block); 0: the cores divided among the workers",
    )
    argon2_huge_pages: bool = Field(
        default=True,
        description="Hashing threads ask for their 19 MiB block on transparent huge pages (Linux): ~5 % less CPU a hash",
    )
    legacy_hash_retention_days: int = Field(
        default=365,
        description="Imported legacy password hashes never used are erased after this many days (`govsignin accounts erase-legacy-hashes`)",
    )
    workers: int = Field(default=1, description="Worker processes of this instance (set by `serve --workers`)")
    keep_alive_seconds: int = Field(
        default=75,
        description="How long `serve` keeps an idle HTTP connection open; longer than the load balancer's idle timeout",
    )

    # Messaging
    messaging: Literal["outbox", "notify"] = Field(default="outbox", description="outbox keeps messages in the database (development); notify sends them through GOV.UK Notify")
    notify_api_key: str | None = Field(default=None, description="GOV.UK Notify API key (messaging=notify)")
    notify_template_ids: dict[str, str] = Field(
        default_factory=dict,
        description='JSON: {"<template>:<lang>": "<Notify template id>"}, e.g. {"email-code:en": "…"}',
    )
    message_max_attempts: int = Field(
        default=6, description="Delivery attempts of one queued message before it is dead"
    )
    message_retry_seconds: float = Field(
        default=5.0, description="Wait before the first retry of a message; doubles each time, at most 1 hour"
    )
    message_retention_seconds: int = Field(
        default=604800, description="How long sent, dead and withheld queue rows are kept (7 days)"
    )
    # Send limits (docs/security.md, "Messages"): every code sent counts, refused beyond these
    code_resends_max: int = Field(
        default=6, description="Re-sends of a code per purpose and journey (and per account); more wait 2 hours"
    )
    sends_per_journey: int = Field(default=20, description="Security codes one journey (or account-page session) may send")
    sends_per_destination_per_day: int = Field(
        default=10, description="Security codes to one email address or phone number in 24 hours"
    )
    sends_per_account_per_day: int = Field(
        default=30, description="Security codes for one account whose password was proven, in 24 hours"
    )
    sends_per_ip_per_hour: int = Field(
        default=100, description="Security codes asked for from one client IP in an hour (counted with the rate limits on)"
    )
    sms_daily_budget: int = Field(
        default=10000, description="Text messages the whole service sends in 24 hours; beyond it they are refused and operators paged"
    )
    sms_country_codes: str = Field(
        default="44", description="Comma-separated calling codes whose mobiles may be registered for text messages"
    )
    assets_dir: str | None = Field(
        default=None, description="govuk-frontend's dist/govuk folder; defaults to ./node_modules"
    )

    # Back-channel logout delivery, and every fetch of a URL a service registered (outbound.py)
    backchannel_timeout: float = Field(
        default=10.0,
        description="Overall deadline of one back-channel logout delivery (connect, send, answer), in seconds",
    )
    backchannel_max_attempts: int = Field(default=8, description="Deliveries of one back-channel logout token before it is given up")
    backchannel_per_service: int = Field(
        default=4, description="Back-channel logout deliveries in flight at once to one service"
    )
    outbound_max_bytes: int = Field(
        default=65536, description="Most bytes read of an answer from a service's URL (JWKS, back-channel logout)"
    )
    jwks_timeout: float = Field(default=5.0, description="Overall deadline of one fetch of a service's JWKS URI, in seconds")
    jwks_failure_cache_seconds: float = Field(
        default=30.0,
        description="After a service's JWKS URI fails, its keys are not fetched again for this long (assertions fail at once)",
    )
    worker_poll_seconds: float = Field(default=2.0, description="How often the background workers (messages, back-channel logout) look for work, in seconds")

    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; defaults to true when the issuer is https"
    )
    service_name: str = Field(default="GOV.UK Sign In", description="The name shown on pages and in authenticator apps")
    subject_salt: str = Field(
        default="development-only-subject-salt",
        description="Salt for pairwise subs. Set once and never change it: subs derive from it",
    )
    totp_window: int = Field(default=1, description="Authenticator codes accepted either side")

    # Observability and rate limits (docs/observability.md)
    log_level: str = Field(default="info", description="JSON logs on stdout at this level")
    metrics_enabled: bool = Field(default=True, description="Serve GET /metrics (Prometheus)")
    metrics_token: str | None = Field(default=None, description="If set, /metrics needs this Bearer token")
    ratelimit_enabled: bool | None = Field(
        default=None, description="Rate limits; default on in production only"
    )
    ratelimit_sign_in_per_ip: str = Field(default="120/minute", description="POSTs to sign-in pages per IP")
    ratelimit_password_per_account: str = Field(default="10/minute", description="Password attempts per account")
    ratelimit_token_per_client_ip: str = Field(default="3000/minute", description="POST /token per client_id and IP")
    ratelimit_account_per_session: str = Field(
        default="20/minute;200/hour", description="POSTs to the account pages (/account/*) per browser session")
    ratelimit_account_per_ip: str = Field(default="60/minute", description="POSTs to the account pages (/account/*) per IP")
    ratelimit_authorize_per_ip: str = Field(default="120/minute", description="GET and POST /authorize per IP")
    argon2_queue_per_thread: int = Field(
        default=64,
        description="Password hashes that may wait for each hashing thread; past that a sign-in page answers 503 at once",
    )

    # Identity proving (docs/identity.md)
    credential_issuers: str | None = Field(
        default=None,
        description="JSON, or the path of a JSON file: each credential issuer's client id, endpoints, signing key or DID, encryption key",
    )
    credential_issuer_timeout: float = Field(default=10.0, description="Seconds govsignin waits for a credential issuer's back channel")
    coi_family_name_chars: int = Field(default=5, description="Continuity of identity: leading letters of the family name that must match")
    coi_given_name_chars: int = Field(default=3, description="Continuity of identity (reverification): leading letters of the given names that must match")
    identity_encryption_key: str = Field(
        default=DEVELOPMENT_IDENTITY_ENCRYPTION_KEY,
        description="Fernet key(s), comma-separated: the first wraps each stored identity's own data key, all unwrap",
    )
    identity_retention_days: int = Field(default=1826, description="A proven identity is kept this long after its last use (5 years)")
    dev_issuers: bool = Field(
        default=True, description="In development only: serve the development credential issuers under /dev/cri/<name>/"
    )
    dev_issuers_key_dir: str = Field(
        default="var/dev-issuers", description="Where the development credential issuers keep their own keys"
    )

    def __init__(self, **values):
        environ = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
        hints = _hints()
        for f in dataclasses.fields(self):
            if f.name in values:
                value = values[f.name]
            elif ENV_PREFIX + f.name.upper() in environ:
                value = environ[ENV_PREFIX + f.name.upper()]
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                value = f.default
            setattr(self, f.name, _coerce(f.name, hints[f.name], value))
        self._check_pool_sizes()

    def _check_pool_sizes(self) -> None:
        """The pool must leave room beside the hot paths' kept connections: if they held every
        connection, every other statement (pages, the command line, background work) would
        wait 30 s for one and answer 503."""
        if self.db_pool_size < 1 or self.db_max_overflow < 0:
            raise SettingsError(
                f"{ENV_PREFIX}DB_POOL_SIZE must be at least 1 and {ENV_PREFIX}DB_MAX_OVERFLOW at least 0."
            )
        most = self.db_pool_size + self.db_max_overflow - 1
        if not 1 <= self.db_hot_connections <= most:
            raise SettingsError(
                f"{ENV_PREFIX}DB_HOT_CONNECTIONS: {self.db_hot_connections} must be between 1 and "
                f"{most} ({ENV_PREFIX}DB_POOL_SIZE + {ENV_PREFIX}DB_MAX_OVERFLOW - 1), so that "
                "other work always has a connection."
            )

    def model_copy(self, update: dict | None = None) -> Settings:
        """A copy with some fields replaced (as pydantic's, not re-validated)."""
        new = copy.copy(self)
        new.__dict__.update(update or {})
        return new

    def issuer_url(self) -> str:
        """The issuer, byte-identical everywhere it appears (a trailing slash is kept)."""
        return self.issuer or f"http://localhost:{self.port}"

    def endpoint(self, path: str) -> str:
        return self.issuer_url().rstrip("/") + path

    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.issuer_url().startswith("https://")

    def production_problems(self) -> list[str]:
        """The insecure settings that production refuses, each as a sentence to act on."""
        problems = []
        if not self.issuer_url().startswith("https://"):
            problems.append("GOVSIGNIN_ISSUER must be an https:// URL in production.")
        if self.messaging == "outbox":
            problems.append(
                "GOVSIGNIN_MESSAGING=outbox only records messages; set it to notify "
                "and give GOVSIGNIN_NOTIFY_API_KEY."
            )
        if self.messaging == "notify" and not self.notify_api_key:
            problems.append("GOVSIGNIN_NOTIFY_API_KEY is required with GOVSIGNIN_MESSAGING=notify.")
        if self.key_encryption_key == DEVELOPMENT_KEY_ENCRYPTION_KEY:
            problems.append(
                "GOVSIGNIN_KEY_ENCRYPTION_KEY is the development default; generate one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            )
        if self.client_secret_hash_key == DEVELOPMENT_SECRET_HASH_KEY:
            problems.append(
                "GOVSIGNIN_CLIENT_SECRET_HASH_KEY is the development default; set a random value."
            )
        if self.identity_encryption_key == DEVELOPMENT_IDENTITY_ENCRYPTION_KEY:
            problems.append(
                "GOVSIGNIN_IDENTITY_ENCRYPTION_KEY is the development default; generate a Fernet key "
                "as for GOVSIGNIN_KEY_ENCRYPTION_KEY."
            )
        if self.subject_salt == "development-only-subject-salt":
            problems.append("GOVSIGNIN_SUBJECT_SALT is the development default; set a random value once.")
        if self.metrics_enabled and not self.metrics_token:
            problems.append(
                "GOVSIGNIN_METRICS_TOKEN is unset, so /metrics would be open to anyone who reaches an "
                "instance; set a random token for the scraper (Authorization: Bearer) or "
                "GOVSIGNIN_METRICS_ENABLED=false."
            )
        elif self.metrics_enabled and len(self.metrics_token) < 32:
            problems.append("GOVSIGNIN_METRICS_TOKEN is shorter than 32 characters; use a random value.")
        if not argon2_at_least_owasp(self.argon2_memory_kib, self.argon2_time_cost, self.argon2_parallelism):
            problems.append(
                f"argon2id at m={self.argon2_memory_kib} KiB, t={self.argon2_time_cost}, "
                f"p={self.argon2_parallelism} is weaker than OWASP's minimum; use the default "
                "(m=19456 KiB, t=2, p=1), or at least one of: "
                + ", ".join(f"m={m} KiB with t={t}" for m, t in OWASP_ARGON2ID_FLOORS) + "."
            )
        if self.database_url.startswith("sqlite"):
            problems.append(
                "GOVSIGNIN_DATABASE_URL points at SQLite; production needs PostgreSQL "
                "(postgresql+asyncpg://…) shared by every instance."
            )
        if not 1 <= self.max_consecutive_failures <= 100:
            problems.append(
                "GOVSIGNIN_MAX_CONSECUTIVE_FAILURES must be 1–100 (NIST SP 800-63B: at most 100 "
                "consecutive failed attempts on one account)."
            )
        if self.consecutive_failure_seconds < 86400:
            problems.append(
                "GOVSIGNIN_CONSECUTIVE_FAILURE_SECONDS must be at least 86400 (a day): a shorter window "
                "lets slow guessing run under the consecutive-failure cap."
            )
        problems += self._control_problems()
        return problems

    def _control_problems(self) -> list[str]:
        """Production refuses a control turned off or set outside its safe range
        (docs/security.md, "What production requires")."""
        problems = []
        if not self.secure_cookies():
            problems.append(
                "Cookies would not be Secure (GOVSIGNIN_COOKIE_SECURE=false, or an http issuer); "
                "production cookies are sent over https only."
            )
        if self.ratelimit_enabled is False:
            problems.append("GOVSIGNIN_RATELIMIT_ENABLED is false; production keeps the rate limits on.")
        for name in RATE_LIMIT_SETTINGS:
            if not getattr(self, name).strip():
                problems.append(f"{ENV_PREFIX}{name.upper()} is empty, which turns that rate limit off.")
        for name, (low, high) in PRODUCTION_RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                problems.append(
                    f"{ENV_PREFIX}{name.upper()}={value} is outside {low}..{high}, the range production allows."
                )
        if self.redis_url and self.redis_url.startswith("redis://") and not urlsplit(self.redis_url).password:
            problems.append(
                "GOVSIGNIN_REDIS_URL is plaintext redis:// without a password; use rediss:// (TLS) "
                "or give the password in the URL (redis://:password@host)."
            )
        for name in ("client_secret_hash_key", "subject_salt"):
            if len(getattr(self, name).encode()) < MIN_SECRET_BYTES:
                problems.append(f"{ENV_PREFIX}{name.upper()} is shorter than {MIN_SECRET_BYTES} bytes; use a random value.")
        return problems


MIN_SECRET_BYTES = 32
RATE_LIMIT_SETTINGS = (
    "ratelimit_sign_in_per_ip", "ratelimit_password_per_account", "ratelimit_token_per_client_ip",
    "ratelimit_authorize_per_ip", "ratelimit_account_per_session", "ratelimit_account_per_ip",
)
# (lowest, highest) that production accepts. Authenticator codes: at most two 30-second steps
# either side of now (RFC 6238 §5.2 advises one step; clocks drift). Lockouts: a cap a person
# can meet by mistake but a guesser cannot use, and a block long enough to stop guessing yet
# not a lever to shut a citizen out for days (onelogin-contract.md §2: 6 tries, 2 hours).
PRODUCTION_RANGES = {
    "totp_window": (0, 2),
    "max_password_retries": (1, 10),
    "max_code_retries": (1, 10),
    "lockout_seconds": (900, 86400),
    "code_retry_count_ttl": (300, 86400),
}

# OWASP's Password Storage Cheat Sheet: five argon2id configurations of equal defence (memory in
# KiB, passes), each with parallelism 1. A setting is strong enough if it is at least one of them
# on both counts: more memory or more passes never weakens the hash.
OWASP_ARGON2ID_FLOORS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def argon2_at_least_owasp(memory_kib: int, time_cost: int, parallelism: int) -> bool:
    return parallelism >= 1 and any(memory_kib >= m and time_cost >= t for m, t in OWASP_ARGON2ID_FLOORS)


@functools.cache
def _hints() -> dict:
    return typing.get_type_hints(Settings)


class InsecureSettings(RuntimeError):
    pass


def check_production(settings: Settings) -> None:
    if settings.env == "production":
        problems = settings.production_problems()
        if problems:
            raise InsecureSettings(
                "Refusing to start in production with insecure settings:\n- " + "\n- ".join(problems)
            )


@functools.cache
def get_settings() -> Settings:
    return Settings()

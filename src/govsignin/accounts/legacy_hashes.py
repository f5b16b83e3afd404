"""Password hashes imported from old systems, verified with libpass (never hand-written).

An imported account's `password_credentials.hash` holds the old hash exactly as the old system
stored it until the citizen first signs in; then it is replaced by an argon2id hash
(accounts/service.py `check_password`). Every hash this module knows starts with something other
than `$argon2id$`, except argon2 at other parameters, which argon2-cffi verifies itself and
`needs_rehash` upgrades. `ERASED` marks an old hash erased unused (migration/erasure.py): it
matches no password.

libpass is imported only when a legacy hash is met, so a worker whose citizens have all been
upgraded never loads it.
"""

from __future__ import annotations

import functools

# The old hash's leading text → libpass handler name. Order matters where one prefix starts
# another (longest first). argon2 ($argon2i$, $argon2d$, $argon2id$ at other parameters) is
# verified by argon2-cffi on the normal path, so it is listed only for the import's check.
PREFIXES: tuple[tuple[str, str], ...] = (
    ("$bcrypt-sha256$", "bcrypt_sha256"),
    ("bcrypt_sha256$", "django_bcrypt_sha256"),
    ("pbkdf2_sha256$", "django_pbkdf2_sha256"),
    ("pbkdf2_sha1$", "django_pbkdf2_sha1"),
    ("argon2$", "django_argon2"),
    ("$2a$", "bcrypt"),
    ("$2b$", "bcrypt"),
    ("$2y$", "bcrypt"),
    ("$6$", "sha512_crypt"),
    ("$5$", "sha256_crypt"),
    ("$1$", "md5_crypt"),
    ("{SSHA512}", "ldap_salted_sha512"),
    ("{SSHA256}", "ldap_salted_sha256"),
    ("{SSHA}", "ldap_salted_sha1"),
    ("$scrypt$", "scrypt"),
    ("$argon2id$", "argon2"),
    ("$argon2i$", "argon2"),
    ("$argon2d$", "argon2"),
)
SCHEMES = tuple(dict.fromkeys(name for _, name in PREFIXES))
BCRYPT_SCHEMES = frozenset({"bcrypt"})
BCRYPT_MAX_BYTES = 72  # bcrypt uses only a password's first 72 bytes
ERASED = "!erased"  # an old hash erased unused: no password matches it


class LegacyHashError(ValueError):
    """Why a value cannot be imported as a password hash (a sentence for the rejects file)."""


def scheme_of(encoded: str) -> str | None:
    for prefix, name in PREFIXES:
        if encoded.startswith(prefix):
            return name
    return None


@functools.cache
def _handler(name: str):
    from passlib import registry

    return registry.get_crypt_handler(name)


def check(encoded: str) -> str:
    """The scheme of a well-formed hash this service can verify, or LegacyHashError."""
    name = scheme_of(encoded)
    if name is None:
        raise LegacyHashError("unknown password hash format (docs/migration.md lists those supported)")
    if name in BCRYPT_SCHEMES and len(encoded.encode()) > BCRYPT_MAX_BYTES:
        raise LegacyHashError(f"bcrypt hash longer than {BCRYPT_MAX_BYTES} bytes: not a bcrypt hash")
    handler = _handler(name)
    parse = getattr(handler, "from_string", None) or getattr(getattr(handler, "wrapped", None), "from_string", None)
    try:
        if not handler.identify(encoded):
            raise ValueError("not in that scheme's format")
        if parse is not None and not hasattr(handler, "wrapped"):
            parsed = parse(encoded)  # every field well-formed (salt, rounds, checksum length)
            if not getattr(parsed, "checksum", True):
                raise ValueError("no checksum: a configuration string, not a hash")
    except (ValueError, TypeError) as exc:
        raise LegacyHashError(f"malformed {name} hash ({exc})") from None
    return name


def verify(encoded: str, password: str) -> bool:
    """Whether `password` matches the old hash. CPU-bound: call it on the hashing pool.

    bcrypt read only a password's first 72 bytes in the old systems (and bcrypt 5 refuses longer
    ones), so a longer password is checked on its first 72 bytes, as the old system did; the
    argon2id hash that replaces it then covers the whole password."""
    name = scheme_of(encoded)
    if name is None:
        return False
    if name in BCRYPT_SCHEMES:
        secret: str | bytes = password.encode()[:BCRYPT_MAX_BYTES]
    else:
        secret = password
    try:
        return bool(_handler(name).verify(secret, encoded))
    except (ValueError, TypeError):  # malformed stored value: no password matches it
        return False

"""Print the demo account's current authenticator-app code: ``python -m demo.totp``.

Pass another base32 secret to get its code instead: ``python -m demo.totp SECRET``.
"""

from __future__ import annotations

import sys
import time

import pyotp

# The demo account's authenticator-app secret. Public on purpose: it is a demo account.
DEMO_TOTP_SECRET = "GOVSIGNINDEMOAUTHENTICATORAPPKEY"


def current_code(secret: str = DEMO_TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).now()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    secret = args[0] if args else DEMO_TOTP_SECRET
    remaining = 30 - int(time.time()) % 30
    print(current_code(secret))
    print(f"(changes in {remaining} seconds)", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The email page's passkey options: discoverable credentials (no allowCredentials), the same JSON
py_webauthn's generate_authentication_options gives, built without importing py_webauthn."""

import json
import subprocess
import sys
from types import SimpleNamespace

from govsignin.accounts.passkeys import CHALLENGE_TTL, TIMEOUT_MS, Passkeys


class Store:
    def __init__(self):
        self.values = {}

    async def set(self, key, value, ttl):
        self.values[key] = (value, ttl)


SETTINGS = SimpleNamespace(issuer_url=lambda: "https://signin.example.gov.uk/")


async def test_the_options_are_py_webauthns_discoverable_options():
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    store = Store()
    ours = json.loads(await Passkeys(SETTINGS, None, store).authentication_options(scope="journey-1"))
    theirs = json.loads(options_to_json(generate_authentication_options(
        rp_id="signin.example.gov.uk", timeout=TIMEOUT_MS, allow_credentials=None,
        user_verification=UserVerificationRequirement.REQUIRED,
    )))
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k != "challenge"} == {k: v for k, v in theirs.items() if k != "challenge"}
    assert ours["allowCredentials"] == [] and ours["userVerification"] == "required"
    assert len(ours["challenge"]) == len(theirs["challenge"])  # 64 random bytes
    (value, ttl), = store.values.values()
    assert list(store.values) == ["webauthn:auth:journey-1"] and ttl == CHALLENGE_TTL
    assert json.loads(value) == {"c": ours["challenge"]}


def test_making_options_does_not_import_py_webauthn():
    code = (
        "import asyncio, sys\n"
        "from types import SimpleNamespace\n"
        "from govsignin.accounts.passkeys import Passkeys\n"
        "class S:\n"
        "    async def set(self, *a): pass\n"
        "p = Passkeys(SimpleNamespace(issuer_url=lambda: 'http://localhost:1'), None, S())\n"
        "asyncio.run(p.authentication_options(scope='x'))\n"
        "print('webauthn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

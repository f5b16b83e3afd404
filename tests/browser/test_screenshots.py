"""Screenshots of the main pages for docs/screenshots/ (linked from the README).

Not part of the suite: run it when the pages change, and commit the PNGs:

    GOVSIGNIN_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_screenshots.py -k sqlite

It reuses the accessibility walks (tests/browser/test_accessibility_journeys.py), so every page
photographed has also passed the accessibility and Welsh checks. Pages at 1024 px wide, one at 320 px.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.test_accessibility_journeys import (  # noqa: F401  (collected here with this module's walk_options)
    registered,
    test_create_an_account_with_an_authenticator_app,
    test_every_account_page,
    test_sign_in,
)
from tests.support.live import ROOT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("GOVSIGNIN_SCREENSHOTS"), reason="set GOVSIGNIN_SCREENSHOTS=1 to take screenshots"),
]
SHOTS = ROOT / "docs" / "screenshots"
WIDE = 1024
WANTED = {
    "en": {
        "sign-in-or-create": [("01-start", WIDE)],
        "enter-email": [("02-enter-email", WIDE), ("02-enter-email-320px", 320)],
        "enter-password": [("03-enter-password", WIDE)],
        "enter-password (error)": [("04-error-summary", WIDE)],
        "enter-authenticator-app-code": [("05-security-code", WIDE)],
        "enter-email-create": [("06-create-enter-email", WIDE)],
        "check-your-email": [("07-create-check-your-email", WIDE)],
        "create-password": [("08-create-password", WIDE)],
        "get-security-codes": [("09-create-choose-security-codes", WIDE)],
        "setup-authenticator-app": [("10-create-authenticator-app", WIDE)],
        "account-created": [("11-account-created", WIDE)],
        "account": [("12-account-home", WIDE)],
        "account/security": [("13-account-security", WIDE)],
        "account/activity-history": [("14-account-activity", WIDE)],
    },
    "cy": {
        "sign-in-or-create": [("15-welsh-start", WIDE)],
        "account": [("16-welsh-account-home", WIDE)],
    },
}


@pytest.fixture
def walk_options(request):
    lang = request.node.callspec.params["lang"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    return {"shots": SHOTS, "wanted": WANTED[lang]}

"""Every error_description the protocol sends comes from the one table in oidc/errors.py, and
every entry there says where One Login's text comes from."""

import re
from pathlib import Path

from govsignin.oidc.errors import DESCRIPTIONS

SRC = Path(__file__).resolve().parents[3] / "src" / "govsignin"


def test_every_name_the_code_describes_is_in_the_table():
    used = set()
    for path in SRC.rglob("*.py"):
        used |= set(re.findall(r'describe\("([a-z_]+)"\)', path.read_text()))
    assert used, "no describe() calls found"
    assert used <= set(DESCRIPTIONS), sorted(used - set(DESCRIPTIONS))


def test_every_entry_names_its_source():
    for name, (text, source) in DESCRIPTIONS.items():
        assert text and source, name
        assert source.startswith(("simulator:src/", "onelogin-contract.md", "govsignin")), (name, source)

"""The common-password check reads zxcvbn's "passwords" list from its source, into a compact
sorted string (accounts/common_passwords.py): same answers as the list itself, less memory."""

import subprocess
import sys

from govsignin.accounts.common_passwords import common_passwords, is_common


def test_the_list_is_exactly_zxcvbns_passwords_lower_cased():
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    expected = frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])
    assert common_passwords() == expected
    assert len(expected) == 30000
    assert all(is_common(p) and is_common(p.upper()) for p in expected)
    assert is_common("pic's")  # an entry written with an escape in zxcvbn's source


def test_passwords_not_on_the_list():
    for password in ("", "correct horse battery staple", "password\n123456", "123456\n", "zzzzzzzzzzzzzzzzzzzz"):
        assert not is_common(password)


def test_checking_does_not_import_zxcvbns_lists():
    code = ("import sys; from govsignin.accounts.common_passwords import is_common; "
            "assert is_common('Dragon'); print(any(m.startswith('zxcvbn') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

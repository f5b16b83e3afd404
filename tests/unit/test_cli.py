"""The command line: --json documents on stdout, clear errors on stderr (contracts.md)."""

import pytest

from tests.support.live import CliFailed


def test_services_add_and_list(live_server, tmp_path):
    from joserfc.jwk import RSAKey

    pem = tmp_path / "key.pem"
    pem.write_bytes(RSAKey.generate_key(2048).as_pem(private=False))
    added = live_server.cli(
        "services", "add", "--name", "Apply for a fishing licence",
        "--redirect-uri", "https://fishing.example.gov.uk/callback", "--public-key", str(pem),
        "--scope", "openid", "--scope", "email", "--id-token-alg", "RS256", "--require-pkce",
    )
    assert added["require_pkce"] and added["id_token_alg"] == "RS256" and added["public_key_ids"][0]
    listed = live_server.cli("services", "list")
    assert added["client_id"] in {s["client_id"] for s in listed}


def test_a_secret_is_shown_once_and_never_listed(live_server):
    added = live_server.cli("services", "add", "--name", "Platform", "--redirect-uri", "https://p.example.gov.uk/cb", "--secret")
    assert len(added["client_secret"]) >= 43
    listed = live_server.cli("services", "list")
    assert all("client_secret" not in s for s in listed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--redirect-uri", "http://evil.example/cb", "--secret"], "https"),
        (["--name", "X", "--redirect-uri", "https://a.example/cb", "--redirect-uri", "https://b.example/cb", "--secret"], "sector"),
        (["--name", "X", "--redirect-uri", "https://a.example/cb"], "exactly one"),
        (["--name", "X", "--redirect-uri", "https://a.example/cb", "--secret", "--scope", "profile"], "Scopes"),
    ],
)
def test_registration_errors_say_what_to_fix(live_server, args, message):
    with pytest.raises(CliFailed) as failed:
        live_server.cli("services", "add", *args)
    assert message in failed.value.stderr and "Traceback" not in failed.value.stderr


def test_a_private_key_is_refused_at_registration(live_server, tmp_path):
    from joserfc.jwk import ECKey

    pem = tmp_path / "private.pem"
    pem.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    with pytest.raises(CliFailed) as failed:
        live_server.cli("services", "add", "--name", "X", "--redirect-uri", "https://a.example/cb", "--public-key", str(pem))
    assert "private key" in failed.value.stderr


def test_accounts_add_validates_and_refuses_duplicates(live_server):
    made = live_server.cli("accounts", "add", "--email", "Cli.User@Example.com", "--password", "long-enough-1",
                           "--phone", "07911 123456", "--totp-secret", "JBSWY3DPEHPK3PXPJBSWY3DP")
    assert made["email"] == "cli.user@example.com" and made["phone_number"] == "+447911123456"
    with pytest.raises(CliFailed) as failed:
        live_server.cli("accounts", "add", "--email", "cli.user@example.com", "--password", "long-enough-1")
    assert "already exists" in failed.value.stderr
    with pytest.raises(CliFailed):
        live_server.cli("accounts", "add", "--email", "x@example.com", "--password", "long-enough-1", "--totp-secret", "not base32!")


def test_outbox_lists_messages(live_server):
    assert isinstance(live_server.cli("outbox"), list)


async def test_outbox_shows_the_newest_message_to_an_address(live_server, services):
    """What the browser tests read in-process (LiveServer.last_message) is what the command prints."""
    import secrets

    to = f"outbox-{secrets.token_hex(4)}@example.com"
    await services.messages.send_email(to, "email-code", {"code": "111111"})
    await services.messages.send_email(to, "email-code", {"code": "222222"})
    newest = live_server.cli("outbox", "--to", to.upper(), "--last")
    assert newest["personalisation"]["code"] == "222222"
    assert newest == live_server.last_message(to)
    assert [m["personalisation"]["code"] for m in live_server.cli("outbox", "--to", to)] == ["111111", "222222"]
    assert live_server.last_message("nobody-" + to) is None


def test_an_unmigrated_database_gets_a_sentence_not_a_traceback(tmp_path):
    from tests.support.live import base_env, run_cli

    env = base_env(f"sqlite+aiosqlite:///{tmp_path}/empty.db", 1)
    with pytest.raises(CliFailed) as failed:
        run_cli(env, "services", "list")
    assert "govsignin db upgrade" in failed.value.stderr and "Traceback" not in failed.value.stderr

"""Production refuses insecure settings, each with a sentence to act on."""

import pytest

from govsignin.config import InsecureSettings, Settings, check_production


def test_development_defaults_start():
    check_production(Settings(env="development"))


def test_production_refuses_every_insecure_default():
    with pytest.raises(InsecureSettings) as refused:
        check_production(Settings(env="production"))
    message = str(refused.value)
    for variable in ("GOVSIGNIN_ISSUER", "GOVSIGNIN_MESSAGING", "GOVSIGNIN_KEY_ENCRYPTION_KEY",
                     "GOVSIGNIN_CLIENT_SECRET_HASH_KEY", "GOVSIGNIN_SUBJECT_SALT", "GOVSIGNIN_DATABASE_URL"):
        assert variable in message


def test_production_with_secure_settings_starts():
    from cryptography.fernet import Fernet

    check_production(
        Settings(
            env="production", issuer="https://signin.example.gov.uk/", messaging="notify",
            notify_api_key="key", key_encryption_key=Fernet.generate_key().decode(),
            client_secret_hash_key="x" * 32, subject_salt="y" * 32,
            database_url="postgresql+asyncpg://app@db/govsignin",
        )
    )


def test_the_issuer_is_kept_byte_identical():
    settings = Settings(issuer="https://signin.example.gov.uk/")
    assert settings.issuer_url() == "https://signin.example.gov.uk/"
    assert settings.endpoint("/token") == "https://signin.example.gov.uk/token"


def test_the_server_refuses_to_start_in_production_with_insecure_settings(tmp_path):
    import subprocess

    from tests.support.live import GOVSIGNIN, base_env

    env = base_env(f"sqlite+aiosqlite:///{tmp_path}/x.db", 1, GOVSIGNIN_ENV="production")
    proc = subprocess.run([GOVSIGNIN, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "Refusing to start in production" in proc.stderr and "Traceback" not in proc.stderr

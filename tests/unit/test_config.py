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
                     "GOVSIGNIN_CLIENT_SECRET_HASH_KEY", "GOVSIGNIN_SUBJECT_SALT", "GOVSIGNIN_DATABASE_URL",
                     "GOVSIGNIN_METRICS_TOKEN", "GOVSIGNIN_IDENTITY_ENCRYPTION_KEY"):
        assert variable in message


def _secure(**changes) -> Settings:
    from cryptography.fernet import Fernet

    return Settings(**{
        "env": "production", "issuer": "https://signin.example.gov.uk/", "messaging": "notify",
        "notify_api_key": "key", "key_encryption_key": Fernet.generate_key().decode(),
        "identity_encryption_key": Fernet.generate_key().decode(),
        "client_secret_hash_key": "x" * 32, "subject_salt": "y" * 32,
        "database_url": "postgresql+asyncpg://app@db/govsignin", "metrics_token": "m" * 32, **changes,
    })


def test_production_with_secure_settings_starts():
    check_production(_secure())


def test_production_refuses_an_open_or_weak_metrics_endpoint():
    for changes, expected in (({"metrics_token": None}, "open to anyone"), ({"metrics_token": "short"}, "shorter")):
        with pytest.raises(InsecureSettings) as refused:
            check_production(_secure(**changes))
        assert "GOVSIGNIN_METRICS_TOKEN" in str(refused.value) and expected in str(refused.value)
    check_production(_secure(metrics_token=None, metrics_enabled=False))  # no route, nothing to protect


def test_production_refuses_argon2id_weaker_than_owasps_minimum():
    for weak in ({"argon2_memory_kib": 19455}, {"argon2_time_cost": 1}, {"argon2_parallelism": 0},
                 {"argon2_memory_kib": 7168, "argon2_time_cost": 4}):
        with pytest.raises(InsecureSettings) as refused:
            check_production(_secure(**weak))
        assert "weaker than OWASP's minimum" in str(refused.value), weak
    # Each of OWASP's equivalent configurations starts, and so does anything stronger than one.
    for strong in ({"argon2_memory_kib": 47104, "argon2_time_cost": 1}, {"argon2_memory_kib": 12288, "argon2_time_cost": 3},
                   {"argon2_memory_kib": 9216, "argon2_time_cost": 4}, {"argon2_memory_kib": 7168, "argon2_time_cost": 5},
                   {"argon2_memory_kib": 65536, "argon2_time_cost": 3, "argon2_parallelism": 4}):
        check_production(_secure(**strong))
    check_production(Settings(env="development", argon2_memory_kib=1024, argon2_time_cost=1))  # tests may


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


def test_production_refuses_a_consecutive_failure_cap_above_nists_100():
    for weak, variable in (({"max_consecutive_failures": 101}, "GOVSIGNIN_MAX_CONSECUTIVE_FAILURES"),
                           ({"max_consecutive_failures": 0}, "GOVSIGNIN_MAX_CONSECUTIVE_FAILURES"),
                           ({"consecutive_failure_seconds": 3600}, "GOVSIGNIN_CONSECUTIVE_FAILURE_SECONDS")):
        with pytest.raises(InsecureSettings) as refused:
            check_production(_secure(**weak))
        assert variable in str(refused.value), weak
    check_production(_secure(max_consecutive_failures=100, consecutive_failure_seconds=86400))


@pytest.mark.parametrize(("changes", "expected"), [
    ({"cookie_secure": False}, "GOVSIGNIN_COOKIE_SECURE"),
    ({"ratelimit_enabled": False}, "GOVSIGNIN_RATELIMIT_ENABLED"),
    ({"ratelimit_sign_in_per_ip": ""}, "GOVSIGNIN_RATELIMIT_SIGN_IN_PER_IP is empty"),
    ({"ratelimit_authorize_per_ip": " "}, "GOVSIGNIN_RATELIMIT_AUTHORIZE_PER_IP is empty"),
    ({"totp_window": 4}, "GOVSIGNIN_TOTP_WINDOW=4 is outside 0..2"),
    ({"totp_window": -1}, "GOVSIGNIN_TOTP_WINDOW=-1"),
    ({"max_password_retries": 0}, "GOVSIGNIN_MAX_PASSWORD_RETRIES=0"),
    ({"max_password_retries": 1000}, "GOVSIGNIN_MAX_PASSWORD_RETRIES=1000"),
    ({"max_code_retries": 0}, "GOVSIGNIN_MAX_CODE_RETRIES=0"),
    ({"lockout_seconds": 60}, "GOVSIGNIN_LOCKOUT_SECONDS=60 is outside 900..86400"),
    ({"lockout_seconds": 30 * 86400}, "GOVSIGNIN_LOCKOUT_SECONDS"),
    ({"code_retry_count_ttl": 10}, "GOVSIGNIN_CODE_RETRY_COUNT_TTL"),
    ({"redis_url": "redis://cache.internal:6379/0"}, "plaintext redis://"),
    ({"client_secret_hash_key": "k" * 31}, "GOVSIGNIN_CLIENT_SECRET_HASH_KEY is shorter than 32 bytes"),
    ({"subject_salt": "s" * 16}, "GOVSIGNIN_SUBJECT_SALT is shorter than 32 bytes"),
])
def test_production_refuses_controls_turned_off_or_out_of_range(changes, expected):
    with pytest.raises(InsecureSettings) as refused:
        check_production(_secure(**changes))
    assert expected in str(refused.value)
    check_production(Settings(env="development", **changes))  # development and tests may


def test_production_accepts_redis_with_tls_or_a_password():
    check_production(_secure(redis_url="rediss://cache.internal:6380/0"))
    check_production(_secure(redis_url="redis://:a-long-password@cache.internal:6379/0"))
    check_production(_secure(totp_window=2, lockout_seconds=900, max_password_retries=10))

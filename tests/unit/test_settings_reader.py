"""The settings reader (a dataclass, not pydantic-settings: docs/architecture.md): every type the
settings use is read from GOVSIGNIN_* the way pydantic-settings read it, and a bad value names
its variable instead of starting with a wrong configuration."""

import subprocess
import sys

import pytest

from govsignin.config import Settings, SettingsError


def test_explicit_values_beat_the_environment_which_beats_defaults(monkeypatch):
    monkeypatch.setenv("GOVSIGNIN_PORT", "9000")
    monkeypatch.setenv("govsignin_code_ttl", "120")  # any case, as pydantic-settings
    assert Settings().port == 9000 and Settings().code_ttl == 120
    assert Settings(port=9100).port == 9100
    monkeypatch.delenv("GOVSIGNIN_PORT")
    assert Settings().port == 8000


@pytest.mark.parametrize("text, expected", [("true", True), ("1", True), ("YES", True), ("off", False), ("0", False)])
def test_booleans(monkeypatch, text, expected):
    monkeypatch.setenv("GOVSIGNIN_METRICS_ENABLED", text)
    assert Settings().metrics_enabled is expected


def test_optionals_literals_floats_and_json_dicts(monkeypatch):
    monkeypatch.setenv("GOVSIGNIN_ENV", "production")
    monkeypatch.setenv("GOVSIGNIN_KEY_CACHE_SECONDS", "2.5")
    monkeypatch.setenv("GOVSIGNIN_NOTIFY_TEMPLATE_IDS", '{"email-code:en": "abc"}')
    s = Settings()
    assert s.env == "production" and s.key_cache_seconds == 2.5
    assert s.notify_template_ids == {"email-code:en": "abc"}
    assert s.redis_url is None and s.ratelimit_enabled is None
    monkeypatch.setenv("GOVSIGNIN_RATELIMIT_ENABLED", "false")
    assert Settings().ratelimit_enabled is False


@pytest.mark.parametrize("variable, value", [
    ("GOVSIGNIN_PORT", "eighty"),
    ("GOVSIGNIN_ENV", "prod"),
    ("GOVSIGNIN_METRICS_ENABLED", "maybe"),
    ("GOVSIGNIN_NOTIFY_TEMPLATE_IDS", '["not", "a", "dict"]'),
    ("GOVSIGNIN_NOTIFY_TEMPLATE_IDS", "{not json"),
])
def test_a_bad_value_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert str(refused.value).startswith(f"{variable}: ")


@pytest.mark.parametrize("sizes", [
    {"GOVSIGNIN_DB_HOT_CONNECTIONS": "0"},
    {"GOVSIGNIN_DB_POOL_SIZE": "2", "GOVSIGNIN_DB_MAX_OVERFLOW": "0", "GOVSIGNIN_DB_HOT_CONNECTIONS": "2"},
    {"GOVSIGNIN_DB_POOL_SIZE": "0"},
    {"GOVSIGNIN_DB_MAX_OVERFLOW": "-1"},
])
def test_the_pool_must_leave_a_connection_beside_the_hot_paths(monkeypatch, sizes):
    for variable, value in sizes.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert str(refused.value).startswith("GOVSIGNIN_DB_")


def test_the_largest_hot_share_the_pool_allows_is_accepted():
    s = Settings(db_pool_size=2, db_max_overflow=1, db_hot_connections=2)
    assert (s.db_pool_size + s.db_max_overflow, s.db_hot_connections) == (3, 2)


def test_model_copy_replaces_only_what_it_is_given():
    s = Settings(port=8100)
    copy = s.model_copy(update={"code_ttl": 60})
    assert (copy.port, copy.code_ttl, s.code_ttl) == (8100, 60, 300)


def test_the_command_line_says_which_setting_is_wrong_without_a_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "GOVSIGNIN_PORT": "eighty"}
    proc = subprocess.run([sys.executable, "-m", "govsignin", "db", "upgrade"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "GOVSIGNIN_PORT: 'eighty' is not a valid int" in proc.stderr and "Traceback" not in proc.stderr

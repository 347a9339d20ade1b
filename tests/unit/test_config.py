from pathlib import Path

import pytest

from app import create_app


def _production(tmp_path: Path, **overrides: object):
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        "SITE_URL": "https://blog.example.com",
        **overrides,
    }
    return create_app(settings, env="production", instance_path=str(tmp_path))


@pytest.mark.parametrize("secret", [None, "", "too-short-for-production"])
def test_production_refuses_to_start_without_a_strong_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _production(tmp_path, SECRET_KEY=secret)


def test_production_takes_secret_key_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    app = _production(tmp_path)
    assert app.config["SECRET_KEY"] == "s" * 48


def test_production_cookies_are_secure_httponly_lax(tmp_path: Path) -> None:
    app = _production(tmp_path, SECRET_KEY="k" * 40)
    config = app.config
    assert config["SESSION_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"]
    assert config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


def test_debug_is_forced_off_outside_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "true")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = _production(tmp_path, SECRET_KEY="k" * 40, DEBUG=True)
    assert not app.debug


def test_flask_prefixed_variables_override_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "false")
    app = _production(tmp_path, SECRET_KEY="k" * 40)
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_documented_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_HOSTS", "blog.example.com, www.example.com")
    monkeypatch.setenv("SITE_URL", "https://blog.example.com")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "false")
    app = _production(tmp_path, SECRET_KEY="k" * 40)
    assert app.config["TRUSTED_HOSTS"] == ["blog.example.com", "www.example.com"]
    assert app.config["SITE_URL"] == "https://blog.example.com"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_TLS"] is False


def test_an_unknown_page_cache_store_is_a_clear_startup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGE_CACHE_STORE", "memcached")
    with pytest.raises(RuntimeError, match="PAGE_CACHE_STORE='memcached' is not one of"):
        _production(tmp_path, SECRET_KEY="k" * 40)
    monkeypatch.setenv("PAGE_CACHE_STORE", "local")
    assert _production(tmp_path, SECRET_KEY="k" * 40).config["PAGE_CACHE_STORE"] == "local"


def test_a_malformed_number_is_a_clear_startup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "thirty")
    with pytest.raises(RuntimeError, match="SESSION_IDLE_MINUTES must be a whole number"):
        _production(tmp_path, SECRET_KEY="k" * 40)


def test_remember_me_may_not_exceed_thirty_days(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="REMEMBER_DAYS"):
        _production(tmp_path, SECRET_KEY="k" * 40, REMEMBER_DAYS=365)


def test_unknown_app_env_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app(env="staging", instance_path=str(tmp_path))


def test_development_keeps_one_generated_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    first = create_app(env="development", instance_path=str(tmp_path))
    second = create_app(env="development", instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inkwell.db'}"


def test_rate_limiting_can_be_switched_off_for_benchmarks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    assert _production(tmp_path, SECRET_KEY="k" * 40).config["RATELIMIT_ENABLED"] is False


def test_redis_url_becomes_the_rate_limit_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/2")
    app = _production(tmp_path, SECRET_KEY="k" * 40)
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6399/2"


@pytest.mark.parametrize(
    "weak", [{"PASSWORD_HASH_TIME_COST": 1}, {"PASSWORD_HASH_MEMORY_KIB": 8192}]
)
def test_production_refuses_hashing_below_the_owasp_floor(
    tmp_path: Path, weak: dict[str, int]
) -> None:
    with pytest.raises(RuntimeError, match="OWASP floor"):
        _production(tmp_path, SECRET_KEY="k" * 40, **weak)


def test_production_without_redis_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with caplog.at_level("WARNING"):
        _production(tmp_path, SECRET_KEY="k" * 40)
    assert "REDIS_URL is not set" in caplog.text


@pytest.mark.parametrize("site_url", ["", "blog.example.com"])
def test_production_refuses_to_start_without_a_site_url(tmp_path: Path, site_url: str) -> None:
    with pytest.raises(RuntimeError, match="SITE_URL must be set in production"):
        _production(tmp_path, SECRET_KEY="k" * 40, SITE_URL=site_url)

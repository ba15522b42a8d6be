import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler

from hyoka.settings import database_from_url, envbool, envint


def test_postgres_url_becomes_a_database_entry():
    entry = database_from_url("postgres://hyoka:s%40cret@db.internal:5433/hyoka_prod")
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert (entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"], entry["NAME"]) == (
        "hyoka", "s@cret", "db.internal", "5433", "hyoka_prod")


def test_sqlite_url_reads_absolute_and_relative_paths():
    assert database_from_url("sqlite:////srv/hyoka/db.sqlite3")["NAME"] == "/srv/hyoka/db.sqlite3"
    assert database_from_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"


@pytest.mark.parametrize("url, words", [
    ("mysql://root@localhost/hyoka", "scheme 'mysql'"),
    ("postgres://localhost:99999999/hyoka", "malformed port"),
    ("postgres://localhost", "names no database"),
    ("sqlite://", "names no SQLite file"),
])
def test_malformed_database_url_fails_loudly(url, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        database_from_url(url)


def test_boolean_and_integer_variables_reject_garbage(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        envbool("DEBUG", False)
    monkeypatch.setenv("DEBUG", "Yes")
    assert envbool("DEBUG", False) is True
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        envint("DATABASE_CONN_MAX_AGE", 0)


@pytest.mark.parametrize("variable, value, message", [
    ("DATABASE_URL", "mysql://root@localhost/hyoka", "DATABASE_URL='mysql://root@localhost/hyoka' has scheme 'mysql'"),
    ("DEBUG", "sometimes", "DEBUG='sometimes' is not a boolean"),
    ("CELERY_BROKER_URL", "amqp://guest@localhost//", "CELERY_BROKER_URL='amqp://guest@localhost//': use redis://"),
])
def test_start_up_stops_on_a_malformed_variable(variable, value, message):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, variable: value}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=Path(__file__).resolve().parents[1],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_the_documented_production_environment_passes_the_deploy_check(tmp_path):
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    from hyoka.envfile import read_env_file

    documented = read_env_file(Path(__file__).resolve().parents[1] / "docs/production.env")
    assert documented["HTTPS"] == "true" and documented["SECRET_KEY"] == ""  # the operator makes the key
    overrides = {"SECRET_KEY": secrets.token_urlsafe(50), "HYOKA_VAR_DIR": str(tmp_path)}  # /srv is not ours
    unset = {"DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"}
    env = {key: value for key, value in os.environ.items() if key not in unset} | documented | overrides
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_turns_on_secure_cookies_hsts_and_the_redirect_behind_a_proxy():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ("from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, "
              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
              "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)")

    def settings_with(**variables):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hyoka.settings", **variables}
        for name in ("HTTPS", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_PRELOAD"):
            if name not in variables:
                env.pop(name, None)
        return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + script],
                              cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                              timeout=60, check=True).stdout.strip()

    assert settings_with() == "None False False False 0 False False"  # bin/run: plain HTTP on loopback
    assert settings_with(HTTPS="true", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https") == (
        "('HTTP_X_FORWARDED_PROTO', 'https') True True True 31536000 True True")
    assert settings_with(HTTPS="true", SECURE_HSTS_PRELOAD="false").endswith("31536000 True False")


@pytest.mark.parametrize("value", ["https", "X-Forwarded-Proto:", "X Forwarded Proto: https"])
def test_a_malformed_proxy_header_fails_loudly(monkeypatch, value):
    from hyoka.settings import proxy_ssl_header

    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", value)
    with pytest.raises(ImproperlyConfigured, match="SECURE_PROXY_SSL_HEADER=.*e.g. 'X-Forwarded-Proto: https'"):
        proxy_ssl_header("SECURE_PROXY_SSL_HEADER")


def test_every_sqlite_connection_is_set_for_a_web_server_and_a_worker(tmp_path, django_db_blocker):
    """The embedded default's pragmas, read back on a fresh connection made as the app makes them."""
    connections = ConnectionHandler({"default": database_from_url(f"sqlite:///{tmp_path}/hyoka.sqlite3")})
    connection = connections["default"]
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            pragmas = {}
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys", "cache_size", "mmap_size",
                         "temp_store", "journal_size_limit"):
                pragmas[name] = cursor.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        connections.close_all()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 20000, "foreign_keys": 1,
                       "cache_size": -20000, "mmap_size": 268435456, "temp_store": 2, "journal_size_limit": 67108864}
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # kept between requests, not opened (and set) per request
    assert connection.transaction_mode == "IMMEDIATE"

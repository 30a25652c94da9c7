"""Settings come from the environment, with safe defaults, and recognise Gitpod and Codespaces."""

import pytest
import requests

from activities.tests.live_server import running_server

ORIGIN_SETTINGS = ["ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS"]
PRODUCTION = {
    "DJANGO_SECRET_KEY": "p" * 30 + "-production-secret-key-for-tests-0123456789",
    "DJANGO_ALLOWED_HOSTS": "api.cruddur.example",
    "FRONTEND_URL": "https://cruddur.example",
    "BACKEND_URL": "https://api.cruddur.example",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
}


def test_defaults_are_safe_for_production(settings_under):
    values = settings_under(["DEBUG", "CSRF_COOKIE_SECURE", "SECRET_KEY", "ALLOWED_HOSTS"])
    assert values["DEBUG"] is False
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]


def test_without_a_secret_key_every_process_shares_the_key_file(settings_under, tmp_path):
    key_file = tmp_path / "secret-key"
    first = settings_under(["SECRET_KEY"], DJANGO_SECRET_KEY_FILE=str(key_file))["SECRET_KEY"]
    second = settings_under(["SECRET_KEY"], DJANGO_SECRET_KEY_FILE=str(key_file))["SECRET_KEY"]
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 50


def test_where_no_key_file_can_be_written_each_process_makes_its_own(settings_under, tmp_path):
    unwritable = str(tmp_path / "no-such-folder" / "secret-key")
    first = settings_under(["SECRET_KEY"], DJANGO_SECRET_KEY_FILE=unwritable)["SECRET_KEY"]
    second = settings_under(["SECRET_KEY"], DJANGO_SECRET_KEY_FILE=unwritable)["SECRET_KEY"]
    assert first != second
    assert len(first) >= 50


def test_processes_starting_together_agree_on_one_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from cruddur.environment import shared_secret_key

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(shared_secret_key, [tmp_path / "secret-key"] * 32))
    assert keys == {(tmp_path / "secret-key").read_text().strip()}
    assert [path.name for path in tmp_path.iterdir()] == ["secret-key"]


BAD_VALUES = {
    "DJANGO_SECURE_HSTS_SECONDS": "1y",
    "DJANGO_DEBUG": "maybe",
    "CRUDDUR_PAGE_SIZE": "0",
    "CRUDDUR_MAX_BODY_BYTES": "64k",
    "DATABASE_CONN_MAX_AGE": "-5",
    "DJANGO_LOG_LEVEL": "LOUD",
}


def test_a_value_that_does_not_parse_is_named_by_check_not_a_traceback(manage):
    result = manage("check", **BAD_VALUES)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for name, value in BAD_VALUES.items():
        assert f"cruddur.E001) {name}={value!r} is not" in result.stderr, result.stderr


def test_a_value_that_does_not_parse_falls_back_to_its_default(settings_under):
    values = settings_under(["SECURE_HSTS_SECONDS", "DEBUG", "REST_FRAMEWORK"], **BAD_VALUES)
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["DEBUG"] is False
    assert values["REST_FRAMEWORK"]["PAGE_SIZE"] == 20


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on"])
def test_debug_only_when_asked(settings_under, value):
    assert settings_under(["DEBUG"], DJANGO_DEBUG=value)["DEBUG"] is True
    assert settings_under(["DEBUG"], DJANGO_DEBUG="false")["DEBUG"] is False


def test_local_defaults_allow_the_local_frontend(settings_under):
    values = settings_under(ORIGIN_SETTINGS)
    assert values["CORS_ALLOWED_ORIGINS"] == ["http://localhost:3000"]


def test_gitpod_urls_are_derived(settings_under):
    values = settings_under(
        ORIGIN_SETTINGS, GITPOD_WORKSPACE_ID="andrew-cruddur-abc123",
        GITPOD_WORKSPACE_CLUSTER_HOST="ws-us101.gitpod.io",
    )  # fmt: skip
    frontend = "https://3000-andrew-cruddur-abc123.ws-us101.gitpod.io"
    backend = "https://4567-andrew-cruddur-abc123.ws-us101.gitpod.io"
    assert values["CORS_ALLOWED_ORIGINS"] == [frontend, backend]
    assert values["CSRF_TRUSTED_ORIGINS"] == [frontend, backend]
    assert "4567-andrew-cruddur-abc123.ws-us101.gitpod.io" in values["ALLOWED_HOSTS"]


def test_codespaces_urls_are_derived(settings_under):
    values = settings_under(
        ORIGIN_SETTINGS, CODESPACE_NAME="fuzzy-space-x7",
        GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN="app.github.dev",
    )  # fmt: skip
    assert values["CORS_ALLOWED_ORIGINS"] == [
        "https://fuzzy-space-x7-3000.app.github.dev",
        "https://fuzzy-space-x7-4567.app.github.dev",
    ]
    assert "fuzzy-space-x7-4567.app.github.dev" in values["ALLOWED_HOSTS"]


def test_frontend_and_backend_url_win_and_are_normalised(settings_under):
    values = settings_under(
        ORIGIN_SETTINGS, GITPOD_WORKSPACE_ID="x", GITPOD_WORKSPACE_CLUSTER_HOST="gitpod.io",
        FRONTEND_URL="https://cruddur.example/", BACKEND_URL="https://api.cruddur.example:8443/x",
        DJANGO_ALLOWED_HOSTS="backend-django, ,internal.example",
    )  # fmt: skip
    assert values["CORS_ALLOWED_ORIGINS"] == [
        "https://cruddur.example",
        "https://api.cruddur.example:8443",
    ]
    assert values["ALLOWED_HOSTS"][3:] == [
        "cruddur.example",
        "api.cruddur.example",
        "backend-django",
        "internal.example",
    ]


def test_database_url_selects_postgresql(settings_under):
    values = settings_under(
        ["DATABASES"], DATABASE_URL="postgres://cruddur:pw@db.example:5432/cruddur"
    )
    database = values["DATABASES"]["default"]
    assert (database["ENGINE"], database["HOST"], database["NAME"]) == (
        "django.db.backends.postgresql",
        "db.example",
        "cruddur",
    )


def test_sqlite_is_the_default_in_wal_mode_with_a_busy_timeout(settings_under):
    database = settings_under(["DATABASES"])["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"].endswith("db.sqlite3")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] >= 5


def test_check_deploy_is_clean_with_the_production_variables(manage):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("key_file", "warning"),
    [("secret-key", "cruddur.W001"), ("missing/secret-key", "cruddur.W002")],
)
def test_check_deploy_warns_without_a_secret_key(manage, tmp_path, key_file, warning):
    variables = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    variables["DJANGO_SECRET_KEY_FILE"] = str(tmp_path / key_file)
    result = manage("check", "--deploy", "--fail-level", "WARNING", **variables)
    assert result.returncode != 0
    assert warning in result.stderr


@pytest.mark.server
def test_a_server_in_gitpod_answers_its_public_host_and_frontend(tmp_path):
    gitpod = {"GITPOD_WORKSPACE_ID": "ws-42", "GITPOD_WORKSPACE_CLUSTER_HOST": "gitpod.io"}
    with running_server(f"sqlite:///{tmp_path / 'db.sqlite3'}", **gitpod) as url:
        response = requests.options(
            f"{url}/api/activities",
            headers={
                "Host": "4567-ws-42.gitpod.io",
                "Origin": "https://3000-ws-42.gitpod.io",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=10,
        )
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "https://3000-ws-42.gitpod.io"
        home = requests.get(
            f"{url}/api/activities/home", headers={"Host": "4567-ws-42.gitpod.io"}, timeout=10
        )
        assert home.status_code == 200
        assert len(home.json()) == 4


@pytest.mark.parametrize("url", ["foo://db/cruddur", "postgres://u:pw-sentinel-77@db:port/x"])
def test_a_database_url_that_does_not_parse_is_named_without_its_password(manage, url):
    result = manage("check", DATABASE_URL=url)
    assert result.returncode == 1
    assert "(cruddur.E001) DATABASE_URL is not a database URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert "pw-sentinel-77" not in result.stderr

"""docker-compose.yml parses, names the services users expect and passes what the app reads."""

import re

import yaml

from activities.tests.live_server import PROJECT_DIR

READ_PATTERN = re.compile(
    r"""(?:environ\.get|env\.(?:str|bool|int|choice)|variable|environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["'](?!\]\s*=[^=])"""
)


def variables_the_app_reads():
    """Every environment variable named in the app's own code (tests excluded)."""
    sources = [PROJECT_DIR / "gunicorn.conf.py", *PROJECT_DIR.glob("cruddur/*.py")]
    sources += PROJECT_DIR.glob("activities/**/*.py")
    sources += PROJECT_DIR.glob("observability/**/*.py")
    names = {"DATABASE_URL"}  # read by dj_database_url.config()
    for source in sources:
        if "tests" not in source.parts:
            names.update(READ_PATTERN.findall(source.read_text()))
    # WSGI environ keys of a request (CGI's, and gunicorn's RAW_URI), not variables of the process.
    request_keys = {name for name in names if name.startswith(("HTTP_", "CONTENT_"))}
    return names - {"DJANGO_SETTINGS_MODULE"} - request_keys - CGI_KEYS


CGI_KEYS = {
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "REQUEST_URI", "RAW_URI",
}  # fmt: skip


def compose():
    return yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())


def test_the_variable_scan_finds_what_settings_read():
    found = variables_the_app_reads()
    assert {"DJANGO_SECRET_KEY", "FRONTEND_URL", "GITPOD_WORKSPACE_ID", "WEB_CONCURRENCY"} <= found
    assert {
        "OBSERVABILITY_PROVIDERS",
        "HONEYCOMB_API_KEY",
        "AWS_XRAY_URL",
        "ROLLBAR_ENDPOINT",
    } <= found


def test_compose_has_the_backend_and_its_database():
    services = compose()["services"]
    assert {"backend-django", "db", "xray-daemon"} <= set(services)
    assert "2000:2000/udp" in services["xray-daemon"]["ports"]
    backend = services["backend-django"]
    assert "4567:4567" in backend["ports"]
    assert "db" in backend["depends_on"]
    assert backend["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in backend["environment"]["DATABASE_URL"]


def test_compose_passes_every_variable_the_app_reads():
    environment = compose()["services"]["backend-django"]["environment"]
    missing = variables_the_app_reads() - set(environment)
    assert not missing, f"docker-compose.yml does not pass: {sorted(missing)}"

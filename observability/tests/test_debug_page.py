"""Django's debug page (DJANGO_DEBUG=true) shows no secret: not in the settings it lists, not in
the request's META (which under runserver is the whole environment), not in a frame's variables
or an exception's message."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

from observability.scrubbing import process_secrets

DB_PASSWORD = "DBPASSsentinel4242"
OTLP_HEADER = "OTLPHDRsentinel4343"
SECRET_KEY = "SECRETKEYsentinel4444" + "k" * 40
DATABASE_URL = f"postgres://cruddur:{DB_PASSWORD}@db:5432/cruddur"
SENTINELS = (DB_PASSWORD, OTLP_HEADER, SECRET_KEY)


def explode_with_secrets(request):
    dsn = DATABASE_URL  # a frame variable, as a database driver's frames hold one
    key = SECRET_KEY
    raise RuntimeError(f"could not connect to {dsn} with {key[:30]}")


urlpatterns = [path("explode", explode_with_secrets)]


@pytest.fixture
def database_password(monkeypatch):
    """The database's password in the settings, as DATABASE_URL put it there (the test database
    itself has none)."""
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", DB_PASSWORD)
    process_secrets.cache_clear()
    yield
    monkeypatch.undo()
    process_secrets.cache_clear()


@pytest.mark.usefixtures("database_password")
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
@override_settings(
    DEBUG=True,
    ROOT_URLCONF=__name__,
    SECRET_KEY=SECRET_KEY,
    OBSERVABILITY={"otel": {"headers": f"x-honeycomb-team={OTLP_HEADER}"}},
)
def test_the_debug_page_shows_no_secret(accept):
    process_secrets.cache_clear()  # the secret key of these settings
    # runserver hands the whole environment to the request as META.
    environment = {"DATABASE_URL": DATABASE_URL, "OTEL_EXPORTER_OTLP_HEADERS": OTLP_HEADER}
    response = Client(raise_request_exception=False).get(
        "/explode", HTTP_ACCEPT=accept, HTTP_COOKIE=f"session={SECRET_KEY}", **environment
    )
    page = response.content.decode()
    assert response.status_code == 500
    assert "could not connect to" in page  # the debug page, with its details
    assert "DATABASE_URL" in page
    assert [sentinel for sentinel in SENTINELS if sentinel in page] == []

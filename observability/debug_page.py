"""Django's debug page (DJANGO_DEBUG=true) under the one scrubbing policy: it lists the settings,
the request's META (which under runserver holds the whole environment: DATABASE_URL, OTLP headers)
and every frame's variables, so it is scrubbed like everything else that leaves the process."""

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from observability.scrubbing import REDACTED, is_sensitive, scrub, scrub_text


class ScrubbingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, which hides settings by name, with our names and values added: a value
    under a sensitive name, and the process's secrets (and secret-named pairs) inside any text."""

    cleansed_substitute = REDACTED

    def cleanse_setting(self, key, value):
        if isinstance(key, str) and is_sensitive(key) and value not in (None, ""):
            return self.cleansed_substitute
        value = super().cleanse_setting(key, value)
        return scrub(value) if isinstance(value, str | list | tuple) else value


class ScrubbingExceptionReporter(ExceptionReporter):
    """The debug page's HTML and text with the process's secrets redacted wherever they stand,
    frame variables and exception messages included (a database error may quote its DSN)."""

    def get_traceback_html(self):
        return scrub_text(super().get_traceback_html())

    def get_traceback_text(self):
        return scrub_text(super().get_traceback_text())

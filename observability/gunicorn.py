"""gunicorn's access log with the one scrubbing policy: the console (which containers ship to
CloudWatch) never shows a secret from a query string, a referer or a header."""

from gunicorn.glogging import Logger

from observability.scrubbing import REDACTED, is_sensitive, scrub_text


class ScrubbingLogger(Logger):
    """gunicorn's logger whose access-log atoms are scrubbed."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key.endswith("}i") and is_sensitive(key[1:-2]):
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = scrub_text(value)
        return atoms

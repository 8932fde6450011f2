"""POST /api/v1/verify without Django's request cycle: the hot path of the platform.

Under load a check spends about half of the app server's time in Django's request cycle
(middleware, URL resolution, django-ninja), not in the check (docs/benchmarks.md). This
WSGI wrapper answers well-formed JSON checks itself, with the same code as the django-ninja
handler (`api.check_and_answer`), the same JSON and the headers the middleware
would add; anything else (another path, a body that is not valid JSON or does not fit the
schema, a host not allowed) goes to Django unchanged, which answers it as it always does.
test_fastpath.py checks that both paths give the same answers.
"""

import io
import json
import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.utils import translation
from pydantic import ValidationError

log = logging.getLogger(__name__)
PATH = "/api/v1/verify"


class VerifyFastPath:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not (
            0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            and environ.get("CONTENT_TYPE", "").startswith("application/json")
        ):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        answer = _answer(environ, body)
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        status, headers, content = answer
        start_response(status, headers)
        return [content]


def _answer(environ, body: bytes):
    """(status line, headers, content), or None for Django to answer."""
    from .api import ErrorOut, VerifyIn, VerifyOut, check_and_answer

    try:
        payload = VerifyIn.model_validate_json(body)
    except ValidationError:  # also for what is not JSON at all
        return None
    request = WSGIRequest(environ)
    try:
        request.get_host()  # ALLOWED_HOSTS, before anything is checked
    except DisallowedHost:
        return None
    language = translation.get_language_from_request(request)
    # As LocaleMiddleware does, the request's language stays active after it.
    translation.activate(language)
    try:
        status, data, extra = check_and_answer(request, payload)
        schema = VerifyOut if status == 200 else ErrorOut
        # pydantic's JSON, byte for byte what the API's renderer writes (trustlabel.api).
        content = schema.model_validate(data).model_dump_json().encode()
    except Exception:
        log.exception("check failed: %s", PATH)
        status, extra = 500, {}
        content = json.dumps({"detail": "Internal server error."}).encode()
    finally:
        # What Django does as a request finishes (and starts: nothing touches the
        # connections between two requests of a worker): connections that failed or are
        # too old are closed, and the next request's first query checks the connection.
        close_old_connections()
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(content))),
        ("Content-Language", language),
        ("Vary", "Accept-Language"),
        *_SECURITY_HEADERS,
        *extra.items(),
    ]
    return f"{status} {_REASONS[status]}", headers, content


_REASONS = {
    200: "OK",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
# What SecurityMiddleware and XFrameOptionsMiddleware add to every response.
_SECURITY_HEADERS = [
    ("X-Frame-Options", settings.X_FRAME_OPTIONS),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
    ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
]

"""The WSGI fast path for checks answers exactly as the django-ninja endpoint does."""

import io
import json
import re

import pytest

from trustlabel.conftest import build_world
from trustlabel.verify.fastpath import VerifyFastPath
from trustlabel.wsgi import django_application

pytestmark = pytest.mark.django_db(transaction=True)
COMPARED_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Vary",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Retry-After",
)


class Spy:
    """Django's application, counting the requests it had to answer."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application(environ, start_response)


def call(app, body: bytes, method="POST", host="testserver", **extra):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/api/v1/verify",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "192.0.2.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **extra,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    content = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], content


def comparable(content: bytes) -> bytes:
    """The answer byte for byte, but for the moment of the check (the two checks happen at
    different moments)."""
    return re.sub(rb'"first_checked_at":"[^"]+"', b'"first_checked_at":"(moment)"', content)


def both(world, make_body, **extra):
    """The same kind of request through Django and through the fast path."""
    spy = Spy()
    fast = VerifyFastPath(spy)
    slow = call(django_application, make_body(0), **extra)
    quick = call(fast, make_body(1), **extra)
    for answer in (slow, quick):
        assert answer[0] != 500, answer
    assert slow[0] == quick[0]
    assert comparable(slow[2]) == comparable(quick[2])
    for name in COMPARED_HEADERS:
        assert slow[1].get(name) == quick[1].get(name), name
    return slow, quick, spy.calls


def typo(code: str) -> str:
    """The code with its last digit changed: always caught by the check digit."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def code_body(world, index_base: int):
    return lambda i: json.dumps({"code": world.code(index=index_base + i)}).encode()


def test_it_answers_a_check_itself_as_django_would(settings):
    world = build_world()
    _, quick, calls = both(world, code_body(world, 0))
    assert calls == 0  # answered without Django's request cycle
    assert json.loads(quick[2])["verdict"] == "genuine"
    assert quick[1]["Content-Language"] == "zh-hans"


def test_it_answers_in_english_on_request():
    world = build_world()
    _, quick, calls = both(world, code_body(world, 10), HTTP_ACCEPT_LANGUAGE="en")
    assert calls == 0
    assert json.loads(quick[2])["headline"] == "Genuine product"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (lambda w, i: {"code": typo(w.code(index=20 + i))}, "mistyped"),
        (lambda w, i: {"code": "abc"}, 422),
        (lambda w, i: {"code": ""}, 422),
        (
            lambda w, i: {"code": w.code(order=w.scratch_order, index=w.scratch_order.quantity)},
            "unknown",
        ),
    ],
)
def test_it_gives_the_same_answer_to_wrong_codes(body, expected):
    world = build_world()
    _, quick, calls = both(world, lambda i: json.dumps(body(world, i)).encode())
    assert calls == 0
    if expected == 422:
        assert quick[0] == 422
    else:
        assert json.loads(quick[2])["verdict"] == expected


def test_it_says_too_many_attempts_as_django_would(settings):
    world = build_world()
    settings.TRUSTLABEL_RATE_PER_CODE = 1
    code = world.code(index=30)
    body = json.dumps({"code": code}).encode()
    call(django_application, body)
    slow = call(django_application, body)
    other = world.code(index=31)
    call(VerifyFastPath(django_application), json.dumps({"code": other}).encode())
    quick = call(VerifyFastPath(django_application), json.dumps({"code": other}).encode())
    assert slow[0] == quick[0] == 429
    assert json.loads(slow[2]) == json.loads(quick[2])
    assert quick[1]["Retry-After"]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"body": b"{not json"},
        {"body": b'{"lat": 1}'},
        {"body": b'{"code": "1", "lat": 500}'},
        {"body": b'{"code": "1"}', "host": "evil.example.com"},
        {"body": b'{"code": "1"}', "method": "PUT"},
        {"body": b'{"code": "1"}', "CONTENT_TYPE": "text/plain"},
    ],
)
def test_it_leaves_everything_else_to_django(request_kwargs):
    build_world()
    kwargs = dict(request_kwargs)
    body = kwargs.pop("body")
    spy = Spy()
    slow = call(django_application, body, **kwargs)
    quick = call(VerifyFastPath(spy), body, **kwargs)
    assert spy.calls == 1
    assert slow[0] == quick[0]
    assert slow[0] != 500
    assert comparable(slow[2]) == comparable(quick[2])

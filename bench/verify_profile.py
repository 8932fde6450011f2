"""Where a check's CPU time goes, measured in-process against PostgreSQL.

Measures the CPU time per check (time.process_time, this process only; PostgreSQL's own
time is not counted) of:
  1. `verify()` alone;
  2. `verify()` plus building and serialising the API response;
  3. the whole request through the app's WSGI fast path (trustlabel.verify.fastpath),
     without gunicorn or sockets;
  4. the whole request through Django's WSGI handler (middleware, URL resolution,
     django-ninja), likewise;
  5. Django's connection health check (`SELECT 1`), for scale.

Usage: .venv/bin/python bench/verify_profile.py [--db-url URL] [--checks N]
It drops and recreates the database `trustlabel_profile`.
"""

import argparse
import io
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "trustlabel_profile"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", default=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
    parser.add_argument("--checks", type=int, default=2000, help="checks per measurement")
    args = parser.parse_args()
    admin_url = args.db_url.rsplit("/", 1)[0] + "/postgres"
    name = args.db_url.rsplit("/", 1)[1]
    benchdb.recreate_database(name, admin_url)
    os.environ.update(
        DATABASE_URL=args.db_url,
        DJANGO_SETTINGS_MODULE="trustlabel.settings",
        SECRET_KEY=secrets.token_hex(32),
        TRUSTLABEL_MASTER_KEY=secrets.token_hex(32),
        TRUSTLABEL_VAR_DIR=tempfile.mkdtemp(prefix="trustlabel-profile-"),
        ALLOWED_HOSTS="*",
        TRUSTLABEL_RATE_PER_CLIENT="1000000000",
        TRUSTLABEL_RATE_PER_CODE="1000000000",
        LOG_LEVEL="WARNING",
    )
    Path(os.environ["TRUSTLABEL_VAR_DIR"], "static").mkdir()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory

    from trustlabel.accounts.access import Actor
    from trustlabel.accounts.models import User
    from trustlabel.codes.actions import do_create_label_order
    from trustlabel.codes.keys import code_key
    from trustlabel.codes.models import LabelOrder
    from trustlabel.trace.actions import do_commission_order
    from trustlabel.verify.api import VerifyOut, verdict_payload
    from trustlabel.verify.core import CheckContext, verify
    from trustlabel.wsgi import application, django_application

    call_command("migrate", verbosity=0)
    call_command("demo", "--json", stdout=io.StringIO())
    demo_order = LabelOrder.objects.filter(layout="open").order_by("pk").first()
    admin = User.objects.get(username="demo-enterprise")
    actor = Actor.of_user(admin)
    order = do_create_label_order(
        actor, demo_order.product, demo_order.lot, args.checks * 6, "open"
    )
    do_commission_order(actor, order)  # labels on products: active
    key = code_key(order.key_version)
    codes = iter(key.code(order.serial_start + i) for i in range(order.quantity))
    request = RequestFactory().post("/api/v1/verify")

    def check(code):
        return verify(code, CheckContext(channel="api", client_ip="10.0.0.1"))

    def check_and_answer(code):
        VerifyOut.model_validate(verdict_payload(request, check(code))).model_dump_json()

    def through_wsgi(code, application=application):
        body = json.dumps({"code": code}).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/verify",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "10.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        response = application(environ, lambda status, headers: None)
        assert b'"verdict":"genuine"' in b"".join(response), "the check did not pass"
        if hasattr(response, "close"):
            response.close()

    def health_check(_code):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    per_run = args.checks
    print(f"CPU per check in this process, {per_run} checks each (PostgreSQL's not counted):")
    for label, step in (
        ("verify() alone", check),
        ("verify() + API response", check_and_answer),
        ("whole request, the app's WSGI fast path", through_wsgi),
        (
            "whole request via Django's WSGI handler",
            lambda code: through_wsgi(code, django_application),
        ),
        ("health check SELECT 1", health_check),
    ):
        for code in [next(codes) for _ in range(per_run // 10)]:
            step(code)  # warm up: prepared statement, caches
        batch = [next(codes) for _ in range(per_run)]
        cpu, wall = time.process_time(), time.perf_counter()
        for code in batch:
            step(code)
        cpu = (time.process_time() - cpu) / per_run * 1e6
        wall = (time.perf_counter() - wall) / per_run * 1e6
        print(f"  {label:42} {cpu:7.0f} µs CPU  {wall:7.0f} µs wall")


if __name__ == "__main__":
    main()

"""The hot path of a check gives exactly what the plain path gives.

One code is opened with Python integers instead of numpy arrays of one; on PostgreSQL a
check is one statement instead of several. Both must agree with the general code everywhere:
the one-code FF1 with the vectorised FF1 and NIST's sample, the statement with the ORM path
on every kind of check, and its journey test with `_copy_reason` at the speed limit.
"""

import datetime as dt
import json
import random

import numpy as np
import pytest
from django.db import DataError, connection
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.codes import codec
from trustlabel.codes.codec import CodeKey
from trustlabel.codes.ff1 import FF1
from trustlabel.codes.keyring import subkey
from trustlabel.codes.keys import OneCodeOpener, damm_valid
from trustlabel.trace import actions as trace
from trustlabel.verify import api, core
from trustlabel.verify.core import CheckContext, Place, RateLimited, verify
from trustlabel.verify.models import CodeCheckStats, RateBucket, ScanLog

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the one-statement check needs PostgreSQL: set DATABASE_URL=postgres://…",
)


# NIST SP 800-38G, FF1-AES128 sample 1: radix 10, empty tweak, as the codec uses FF1.
NIST_KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")


def test_the_one_code_ff1_decrypts_nists_sample():
    assert OneCodeOpener(NIST_KEY, NIST_KEY).decrypt(2433477484) == 123456789


@settings(max_examples=25, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32), seed=st.integers(0, 2**32 - 1))
def test_it_opens_one_code_exactly_as_the_vectorised_codec(secret, seed):
    rng = np.random.default_rng(seed)
    printed = rng.integers(0, codec.SERIAL_SPACE, 200, dtype=np.uint64)
    opener = OneCodeOpener.of_secret(secret)
    ff1 = FF1(subkey(secret, "code serial"), codec.SERIAL_DIGITS)
    assert [opener.decrypt(int(x)) for x in printed] == ff1.decrypt(printed).tolist()

    key = CodeKey(7, secret)
    serials = rng.integers(0, codec.SERIAL_SPACE, 200, dtype=np.uint64)
    for serial, text in zip(serials, codec.digits_to_text(key.code_digits(serials)), strict=True):
        parsed = codec.parse_code(text)
        assert opener.serial_of(parsed.printed_serial, parsed.mac) == int(serial)
        assert key.serial_of(parsed) == int(serial)
        forged = (parsed.mac + 1 + int(serial) % 97) % 10**codec.MAC_DIGITS
        assert opener.serial_of(parsed.printed_serial, forged) is None
        assert key.serial_of(codec.ParsedCode(parsed.digit, parsed.printed_serial, forged)) is None


@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_the_one_code_damm_check_agrees_with_the_codec(text):
    assert damm_valid(text) == codec.damm_valid(text)


def _scenario(world, settings, now, extra_steps=()):
    """Every kind of check, in an order that exercises the running totals."""
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 3
    settings.TRUSTLABEL_RATE_PER_CODE = 5
    base = settings.TRUSTLABEL_BASE_URL
    shanghai = {"lat": 31.2304, "lon": 121.4737}
    beijing = {"lat": 39.9042, "lon": 116.4074}
    code = world.code(index=11)
    hidden = world.code(order=world.scratch_order, index=4)
    steps = [
        (code, {}, 0),
        (code, shanghai, 1),
        (code, beijing, 30),  # 1,070 km in half an hour: a copy
        (world.code(index=12), shanghai, 0),
        (world.code(index=12), beijing, 6 * 60),  # a journey that can be made
        (world.code(index=12), {}, 7 * 60),
        (world.code(index=13), {}, 0),
        (world.code(index=13), {}, 1),
        (world.code(index=13), {}, 2),
        (world.code(index=13), {}, 3),  # the fourth check: checked too often
        (f"{base}/01/{world.product.gtin}/21/{world.code(index=14)}", {}, 0),
        (f"{base}/01/09506000134352/21/{world.code(index=15)}", {}, 0),  # another GTIN
        (hidden, {"public_serial": world.public_serial(index=4)}, 0),
        (hidden, {"public_serial": world.public_serial(index=5)}, 1),  # another label
        (world.code(order=world.scratch_order, index=world.scratch_order.quantity), {}, 0),
        (world.code(index=16), {"client_ip": "203.0.113.5"}, 0),
    ]
    steps += [(world.code(index=17), {"client_ip": "198.51.100.7"}, 10 + i) for i in range(7)]
    steps += extra_steps
    results = []
    request = RequestFactory().post("/api/v1/verify")
    for text, extra, minutes in steps:
        context = CheckContext(channel="api", now=now + dt.timedelta(minutes=minutes), **extra)
        try:
            verdict = verify(text, context)
        except RateLimited as e:
            results.append(("rate_limited", e.retry_after))
            continue
        payload = api.VerifyOut.model_validate(api.verdict_payload(request, verdict))
        results.append(
            (
                verdict.kind,
                verdict.copy_reason,
                verdict.order.pk if verdict.order else None,
                verdict.first_place,
                payload.model_dump_json(),
            )
        )
    return results


def _stored():
    scans = list(
        ScanLog.objects.order_by("pk").values(
            "checked_at", "channel", "verdict", "organisation", "order", "key_version",
            "serial", "check_number", "lat", "lon", "requester",
        )
    )  # fmt: skip
    stats = list(CodeCheckStats.objects.order_by("key_version", "serial").values())
    for row in stats:
        del row["id"]
    buckets = sorted(RateBucket.objects.values_list("bucket", "period", "hits"))
    return scans, stats, buckets


@pytest.mark.postgres
@needs_postgresql
def test_one_statement_decides_and_stores_as_the_general_path(world, settings, monkeypatch):
    now = dt.datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=dt.UTC)
    actor = world.enterprise.actor
    pending = codes.do_create_label_order(actor, world.product, world.lot, 9, "open")
    trace.do_commission_order(actor, pending, 3, 5)
    not_yet = [(world.code(pending, i), {}, 40 + i) for i in (0, 1, 2, 4, 5, 0)]
    lot = catalog.do_create_lot(world.product, "R1", dt.date(2026, 1, 1), 9, "一厂")
    recalled = codes.do_create_label_order(actor, world.product, lot, 9, "open", "issue")
    recall = trace.do_open_recall(actor, [lot], "破损", "触电", "停止使用", "400-800-1234")
    type(recall).objects.filter(pk=recall.pk).update(opened_at=now - dt.timedelta(days=1))
    not_yet += [(world.code(recalled, i), {}, 50 + i) for i in (0, 1, 0)]
    fast = _scenario(world, settings, now, not_yet)
    fast_stored = _stored()
    ScanLog.objects.all().delete()
    CodeCheckStats.objects.all().delete()
    RateBucket.objects.all().delete()
    monkeypatch.setattr(core, "one_statement_checks", lambda: False)
    general = _scenario(world, settings, now, not_yet)
    assert fast == general
    assert fast_stored == _stored()
    kinds = [r[0] for r in fast]
    assert {"genuine", "genuine_checked_before", "suspected_copy", "unknown"} <= set(kinds)
    assert kinds[-9:] == [
        *["not_activated", "not_activated", "genuine", "genuine", "not_activated"],
        *["not_activated", "recalled", "recalled", "recalled"],
    ]
    assert "rate_limited" in kinds


@pytest.mark.postgres
@needs_postgresql
def test_the_journey_test_in_sql_matches_copy_reason_at_the_speed_limit(world, settings):
    """Journeys around 900 km/h, where a rounding difference would show."""
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 10**6
    settings.TRUSTLABEL_RATE_PER_CODE = 10**6
    rng = random.Random(20260504)
    now = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
    seen = set()
    for index in range(60):
        here = Place.coarse(rng.uniform(-60, 60), rng.uniform(-160, 160))
        there = Place.coarse(
            float(here.lat) + rng.uniform(-8, 8), float(here.lon) + rng.uniform(-8, 8)
        )
        km = here.km_to(there)
        seconds = km / rng.choice([899.9, 900.0, 900.1, 450, 1800]) * 3600
        later = now + dt.timedelta(seconds=round(seconds, 6))
        expected = core._copy_reason(
            2, (later, there.lat, there.lon, now, here.lat, here.lon)
        )  # fmt: skip
        code = world.code(index=100 + index)
        verify(code, CheckContext(lat=float(here.lat), lon=float(here.lon), now=now))
        verdict = verify(code, CheckContext(lat=float(there.lat), lon=float(there.lon), now=later))
        assert verdict.copy_reason == expected, (here, there, seconds)
        seen.add(expected)
    assert seen == {None, "travel"}


@pytest.mark.postgres
@needs_postgresql
def test_the_statement_is_prepared_once_per_connection(world):
    def runs():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
                " WHERE statement LIKE %s",
                ["%verify_codecheckstats%"],
            )
            return cursor.fetchone()[0]

    before = runs()
    for index in range(8):
        verify(world.code(index=200 + index))
    assert runs() - before == 8


def test_reports_and_models_come_back_whole(world):
    verdict = verify(world.code(index=300))
    assert verdict.order == world.open_order
    assert verdict.product == world.product
    assert verdict.enterprise == world.enterprise.organisation
    assert verdict.lot.expiry_date == world.lot.expiry_date
    assert verdict.reports == [world.report]
    report = verdict.reports[0]
    assert (report.inspected_on, report.created_at, report.file.name, report.sha256) == (
        world.report.inspected_on,
        world.report.created_at,
        world.report.file.name,
        world.report.sha256,
    )
    answer = api.VerifyOut.model_validate(api.verdict_payload(RequestFactory().post("/"), verdict))
    assert json.loads(answer.model_dump_json())["inspection_reports"] == [
        {
            "report_number": "JY-2026-0042",
            "result": "pass",
            "inspector_name": world.report.inspector_name,
            "inspected_on": "2026-03-05",
        }
    ]


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_unwatched_statement_survives_a_lost_prepared_statement_and_reconnection(world):
    """In autocommit, as under gunicorn: the libpq path, not Django's cursor."""

    def deallocate():
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # what a pooler's DISCARD ALL also does

    assert not connection.in_atomic_block
    assert verify(world.code(index=400)).kind == "genuine"
    deallocate()
    assert verify(world.code(index=400)).kind == "genuine_checked_before"  # prepared again
    deallocate()
    before = connection.connection
    connection.health_check_done = False  # a new request: the health check goes first
    assert verify(world.code(index=401)).kind == "genuine"
    assert connection.connection is not before  # its ping was gone: a new connection
    connection.close()  # a new connection prepares it again
    assert verify(world.code(index=402)).kind == "genuine"
    assert ScanLog.objects.filter(serial__isnull=False).count() == 4


@pytest.mark.postgres
@needs_postgresql
def test_without_prepared_statements_the_check_is_sent_whole(world):
    """DB_PREPARED_STATEMENTS=false, for a pooler in transaction mode."""
    connection.ensure_connection()
    conn = connection.connection
    threshold, conn.prepare_threshold = conn.prepare_threshold, None
    try:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        assert verify(world.code(index=410)).kind == "genuine"
        assert verify(world.code(index=410)).kind == "genuine_checked_before"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone() == (0,)
    finally:
        conn.prepare_threshold = threshold
        connection.trustlabel_prepared_on = None  # deallocated above


@pytest.mark.postgres
@needs_postgresql
def test_a_failing_statement_raises_djangos_error_and_the_caller_goes_on(world, monkeypatch):
    def forget_prepared():
        connection.trustlabel_prepared_on = None
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")

    monkeypatch.setattr(core, "_libpq_check_query", lambda: (b"SELECT 1/0", (), ()))
    forget_prepared()
    with pytest.raises(DataError):  # division by zero, as Django raises it
        verify(world.code(index=420))
    monkeypatch.undo()
    forget_prepared()
    assert verify(world.code(index=420)).kind == "genuine"  # the savepoint kept the test's


def test_an_edited_product_and_a_new_report_show_at_the_next_check(world):
    first = verify(world.code(index=430))
    assert first.product.name == world.product.name
    world.product.name = "改名后的产品"
    world.product.save()
    world.lot.reports.create(
        report_number="JY-2026-0099",
        result="pass",
        inspector_name=world.report.inspector_name,
        inspected_on=dt.date(2026, 4, 1),
        file=world.report.file.name,
        sha256="0" * 64,
    )
    second = verify(world.code(index=431))
    assert second.product.name == "改名后的产品"
    assert [r.report_number for r in second.reports] == ["JY-2026-0099", "JY-2026-0042"]
    assert first.product.name != second.product.name  # the first verdict kept its own

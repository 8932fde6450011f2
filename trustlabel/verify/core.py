"""The verification core: the only place that decides what a code is.

Every channel (web page, JSON API, SMS, WeChat, phone) calls `verify()` and renders the
`Verdict` it returns in its own words and language. A check appends to the scan log and
updates the code's running check totals; it never changes the code's own state.
"""

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import math
import random
import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from psycopg.adapt import Transformer

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import InspectionReport, Lot, Product
from trustlabel.codes import codec
from trustlabel.codes.keys import code_key_for_digit, damm_valid, serial_of
from trustlabel.codes.models import LabelOrder
from trustlabel.copying import bound_cursor
from trustlabel.trace import diversion
from trustlabel.trace.models import Commissioning, DiversionAlert, Recall

from .inputs import Entered, InvalidInput, normalise
from .models import Channel, CodeCheckStats, RateBucket, ScanLog, VerdictKind

logger = logging.getLogger(__name__)

__all__ = ["CheckContext", "InvalidInput", "RateLimited", "Verdict", "verify"]


class RateLimited(Exception):
    """Too many checks from one client or of one code; try again after `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Place:
    lat: Decimal
    lon: Decimal

    @classmethod
    def coarse(cls, lat: float | None, lon: float | None) -> "Place | None":
        """Rounded to 0.01 degrees (about a kilometre): enough for copy detection, too
        coarse to find a person."""
        if lat is None or lon is None:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
            return None
        q = Decimal("0.01")
        return cls(
            Decimal(str(lat)).quantize(q, ROUND_HALF_UP),
            Decimal(str(lon)).quantize(q, ROUND_HALF_UP),
        )

    def km_to(self, other: "Place") -> float:
        """Great-circle distance (haversine), in kilometres."""
        lat1, lon1, lat2, lon2 = map(
            math.radians, (float(self.lat), float(self.lon), float(other.lat), float(other.lon))
        )
        a = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class CheckContext:
    channel: str = Channel.WEB
    client_ip: str = ""
    lat: float | None = None
    lon: float | None = None
    # For a scratch-off label opened from its QR code: the public serial on the outside,
    # which the hidden code must belong to.
    public_serial: str | None = None
    now: dt.datetime | None = None
    # How sure the device is of lat/lon, in metres (the browser says).
    accuracy_m: float | None = None
    # A division (GB/T 2260 code) an inspector states as the place of the check.
    region: str | None = None
    # Checked by an inspector, who is told when an item is outside its sales region.
    inspector: bool = False


@dataclass(frozen=True)
class Verdict:
    kind: str
    product: Product | None = None
    lot: Lot | None = None
    order: LabelOrder | None = None
    check_count: int = 0
    first_checked_at: dt.datetime | None = None
    first_place: Place | None = None
    # Why a copy is suspected: "count" (checked too often) or "travel" (too far, too fast).
    copy_reason: str | None = None
    # For pin_required: the public serial that was entered.
    public_serial: str | None = None
    reports: list = field(default_factory=list)
    # For recalled: the open recall of the lot, with what the consumer should do.
    recall: Recall | None = None
    # The internal serial of a code that matched an order.
    serial: int | None = None
    # For an inspector's outside_region: the diversion alert, with the evidence.
    diversion: DiversionAlert | None = None

    @property
    def is_genuine(self) -> bool:
        return self.kind in (VerdictKind.GENUINE, VerdictKind.GENUINE_CHECKED_BEFORE)

    @property
    def enterprise(self):
        return self.product.organisation if self.product else None


def verify(raw_input: str | None, context: CheckContext | None = None) -> Verdict:
    """Decide what the entered code is, log the check, and return the verdict.

    Raises InvalidInput for input that is not a code at all and RateLimited when a client
    or a code has been checked too often; neither is logged as a check.
    """
    context = context or CheckContext()
    now = context.now or timezone.now()
    entered = normalise(raw_input)
    place = Place.coarse(context.lat, context.lon)
    reading = _read(entered, context)
    if reading.serial is not None and one_statement_checks():
        verdict = _check_in_one_statement(entered, reading, context, place, now)
    else:
        with transaction.atomic():
            # Counted in the same transaction as the check, and committed even when
            # refused, so that hammering stays limited; a refused attempt is never logged
            # as a check.
            retry_after = _count_attempt(context.client_ip, entered.digits, now)
            verdict = None if retry_after is not None else _decide(entered, reading, place, now)
            if verdict is not None and verdict.kind != VerdictKind.PIN_REQUIRED:
                _log_scan(verdict, reading, context, place, now)
        if verdict is None:
            raise RateLimited(retry_after)
    return _watch_for_diversion(verdict, reading.serial, context, now)


# Verdicts on a real label of an order, counted: where the item is matters.
_COUNTED = {
    VerdictKind.GENUINE,
    VerdictKind.GENUINE_CHECKED_BEFORE,
    VerdictKind.SUSPECTED_COPY,
    VerdictKind.EXPIRED,
    VerdictKind.RECALLED,
}


def _watch_for_diversion(
    verdict: Verdict, serial: int | None, context: CheckContext, now: dt.datetime
) -> Verdict:
    """A check with a place is compared with the item's sales region (trace/diversion.py).
    Outside it, the enterprise gets an alert; an inspector, not a consumer, is told."""
    if verdict.kind not in _COUNTED or verdict.order is None or serial is None:
        return verdict
    verdict = replace(verdict, serial=serial)
    where = diversion.Where(
        context.lat, context.lon, context.accuracy_m, context.region, context.client_ip
    )
    if not diversion.can_locate(where):
        return verdict
    try:
        alert = diversion.observe(verdict.order, serial, where, now, by_inspector=context.inspector)
    except Exception:
        # The verdict is given and logged already: a failing place lookup must not turn
        # it into an error page. The enterprise misses one alert; the log says why.
        logger.exception("diversion check failed for order %s", verdict.order.pk)
        return verdict
    if alert is None or not context.inspector:
        return verdict
    kind = VerdictKind.OUTSIDE_REGION if verdict.is_genuine else verdict.kind
    return replace(verdict, kind=kind, diversion=alert)


@dataclass(frozen=True)
class _Reading:
    """What the digits alone say, before the database is asked."""

    # Decided already: mistyped, or a code no live key made.
    verdict: Verdict | None = None
    key_version: int | None = None
    # A code whose MAC is right: the internal serial to look up.
    serial: int | None = None
    # False when the hidden code is not the one of the scratch-off label it came with.
    same_label: bool = True
    # Twelve digits: a scratch-off label's public serial.
    public_serial: bool = False


def _read(entered: Entered, context: CheckContext) -> _Reading:
    digits = entered.digits
    if len(digits) == codec.PUBLIC_LENGTH and context.public_serial is None:
        return _Reading(public_serial=True)
    if len(digits) != codec.CODE_LENGTH or not damm_valid(digits):
        return _Reading(Verdict(VerdictKind.MISTYPED))
    key = code_key_for_digit(int(digits[0]))
    if key is None:
        return _Reading(Verdict(VerdictKind.UNKNOWN))
    serial = serial_of(key, digits)
    if serial is None:
        return _Reading(Verdict(VerdictKind.UNKNOWN), key.version)
    same_label = context.public_serial is None or context.public_serial == key.public_serial(serial)
    return _Reading(key_version=key.version, serial=serial, same_label=same_label)


def _decide(entered: Entered, reading: _Reading, place: Place | None, now: dt.datetime) -> Verdict:
    if reading.public_serial:
        return _public_serial_verdict(entered.digits)
    if reading.verdict is not None:
        return reading.verdict
    order = find_order(reading.key_version, reading.serial)
    if order is None or (entered.gtin and entered.gtin != order.product.gtin):
        return Verdict(VerdictKind.UNKNOWN)
    if not reading.same_label:
        # A real hidden code, but from another label than the one scanned.
        return Verdict(VerdictKind.UNKNOWN)
    if not is_active(order, reading.key_version, reading.serial):
        return _not_activated(order)  # not counted: its first real check is still to come
    stats = _record_check(reading.key_version, reading.serial, place, now)
    recall = open_recall(order.lot_id, now)
    kind, reason = _judge(order, stats, now, recall)
    return _checked_verdict(kind, reason, order, stats, order.lot.reports.all(), recall)


class _Totals(NamedTuple):
    """A code's running totals as a verdict shows them (CodeCheckStats' fields)."""

    check_count: int
    first_at: dt.datetime | None
    first_lat: Decimal | None
    first_lon: Decimal | None


def _checked_verdict(
    kind: str,
    reason: str | None,
    order: LabelOrder,
    stats: CodeCheckStats | _Totals,
    reports,
    recall: Recall | None = None,
) -> Verdict:
    """The verdict on a code that was counted: the order's product and lot, its totals,
    the lot's open recall."""
    return Verdict(
        kind,
        product=order.product,
        lot=order.lot,
        order=order,
        check_count=stats.check_count,
        first_checked_at=stats.first_at,
        first_place=Place(stats.first_lat, stats.first_lon)
        if stats.first_lat is not None
        else None,
        copy_reason=reason,
        reports=list(reports),
        recall=recall,
    )


def _judge(
    order: LabelOrder, stats: CodeCheckStats, now: dt.datetime, recall: Recall | None
) -> tuple[str, str | None]:
    if recall is not None:  # before all else: the consumer must stop using it
        return VerdictKind.RECALLED, None
    if stats.copy_flagged_at is not None:
        return VerdictKind.SUSPECTED_COPY, stats.copy_reason
    if order.lot.is_expired(timezone.localdate(now)):
        return VerdictKind.EXPIRED, None
    if stats.check_count == 1:
        return VerdictKind.GENUINE, None
    return VerdictKind.GENUINE_CHECKED_BEFORE, None


def _public_serial_verdict(digits: str) -> Verdict:
    if not codec.damm_valid(digits):
        return Verdict(VerdictKind.MISTYPED)
    key = code_key_for_digit(int(digits[0]))
    if key is None:
        return Verdict(VerdictKind.UNKNOWN)
    serial = key.serial_of_public(codec.parse_public_serial(digits))
    order = find_order(key.version, serial)
    if order is None or order.layout != LabelOrder.Layout.SCRATCH:
        return Verdict(VerdictKind.UNKNOWN)
    return Verdict(
        VerdictKind.PIN_REQUIRED,
        product=order.product,
        lot=order.lot,
        order=order,
        public_serial=digits,
    )


def is_active(order: LabelOrder, key_version: int, serial: int) -> bool:
    """Whether the code answers as issued: its order needs no commissioning, or a
    commissioning run covers it (runs never overlap: the one starting last before it)."""
    if order.activation == LabelOrder.Activation.ISSUE:
        return True
    run = (
        Commissioning.objects.filter(key_version=key_version, serial_start__lte=serial)
        .order_by("-serial_start")
        .values_list("serial_end", flat=True)
        .first()
    )
    return run is not None and serial < run


def open_recall(lot_id: int, now: dt.datetime) -> Recall | None:
    """The lot's open recall (the latest, if several), or None."""
    return (
        Recall.objects.filter(lots=lot_id, closed_at__isnull=True, opened_at__lte=now)
        .order_by("-opened_at", "-pk")
        .first()
    )


def _not_activated(order: LabelOrder) -> Verdict:
    return Verdict(VerdictKind.NOT_ACTIVATED, product=order.product, lot=order.lot, order=order)


def find_order(key_version: int, serial: int) -> LabelOrder | None:
    """The label order whose serial range holds `serial`: one indexed range lookup."""
    order = (
        LabelOrder.objects.select_related("product__organisation", "lot")
        .filter(key_version_id=key_version, serial_start__lte=serial)
        .order_by("-serial_start")
        .first()
    )
    if order is None or not order.contains(serial):
        return None
    return order


# The running totals of one code, counted in one upsert. The copy flag is set afterwards,
# from what the upsert returns (see _record_check).
_STATS_COLUMNS = """key_version, serial, check_count, first_at, first_lat, first_lon, last_at,
    place_at, place_lat, place_lon"""
_STATS_ON_CONFLICT = """ON CONFLICT (key_version, serial) DO UPDATE SET
    check_count = s.check_count + 1,
    last_at = excluded.last_at,
    prev_place_at = CASE WHEN excluded.place_at IS NULL THEN s.prev_place_at
                         ELSE s.place_at END,
    prev_place_lat = CASE WHEN excluded.place_at IS NULL THEN s.prev_place_lat
                          ELSE s.place_lat END,
    prev_place_lon = CASE WHEN excluded.place_at IS NULL THEN s.prev_place_lon
                          ELSE s.place_lon END,
    place_at = COALESCE(excluded.place_at, s.place_at),
    place_lat = COALESCE(excluded.place_lat, s.place_lat),
    place_lon = COALESCE(excluded.place_lon, s.place_lon)
RETURNING id, check_count, first_at, first_lat, first_lon, copy_flagged_at, copy_reason,
    place_at, place_lat, place_lon, prev_place_at, prev_place_lat, prev_place_lon"""


def _stats_values(key_version: int, serial: int, place: Place | None, now: dt.datetime) -> list:
    lat = place.lat if place else None
    lon = place.lon if place else None
    return [key_version, serial, now, lat, lon, now, now if place else None, lat, lon]


def _record_check(
    key_version: int, serial: int, place: Place | None, now: dt.datetime
) -> CodeCheckStats:
    """Count this check in one upsert; flag a copy (checked too often, or travelled
    impossibly) the first time it shows."""
    sql = f"""
        INSERT INTO {CodeCheckStats._meta.db_table} AS s ({_STATS_COLUMNS})
        VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s)
        {_STATS_ON_CONFLICT}
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, _stats_values(key_version, serial, place, now))
        row = cursor.fetchone()
    stats = _stats_from_row(key_version, serial, row)
    if stats.copy_flagged_at is None:
        reason = _copy_reason(stats.check_count, row[7:13])
        if reason:
            CodeCheckStats.objects.filter(pk=stats.id).update(
                copy_flagged_at=now, copy_reason=reason
            )
            stats.copy_flagged_at = now
            stats.copy_reason = reason
    return stats


def _stats_from_row(key_version: int, serial: int, row) -> CodeCheckStats:
    """The totals as the upsert returned them."""
    return CodeCheckStats(
        id=row[0],
        key_version=key_version,
        serial=serial,
        check_count=row[1],
        first_at=_aware(row[2]),
        first_lat=_dec(row[3]),
        first_lon=_dec(row[4]),
        copy_flagged_at=_aware(row[5]),
        copy_reason=row[6],
    )


def _copy_reason(check_count: int, places) -> str | None:
    if check_count > settings.TRUSTLABEL_COPY_CHECK_LIMIT:
        return "count"
    place_at, place_lat, place_lon, prev_at, prev_lat, prev_lon = places
    if place_at is None or prev_at is None:
        return None
    here = Place(_dec(place_lat), _dec(place_lon))
    there = Place(_dec(prev_lat), _dec(prev_lon))
    hours = max((_aware(place_at) - _aware(prev_at)).total_seconds() / 3600, 1 / 3600)
    km = here.km_to(there)
    # Within 50 km two checks can be the same shop and the same person; never a copy.
    if km > 50 and km / hours > settings.TRUSTLABEL_MAX_TRAVEL_KMH:
        return "travel"
    return None


_CENT = Decimal("0.01")


def _dec(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return value  # already as stored (PostgreSQL's numeric(5, 2))
    return Decimal(str(value)).quantize(_CENT)


def _aware(value) -> dt.datetime | None:
    """SQLite hands raw SQL datetimes back as text; PostgreSQL as aware datetimes."""
    if value is None or isinstance(value, dt.datetime):
        return (
            value
            if value is None or timezone.is_aware(value)
            else timezone.make_aware(value, dt.UTC)
        )
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)


def _buckets(client_ip: str, digits: str, now: dt.datetime) -> tuple[str, int, str, int]:
    """The rate-limit buckets of one attempt: its client this minute, its code this hour."""
    seconds = int(now.timestamp())
    client = "ip:" + requester_hash(client_ip)
    code = "code:" + hashlib.sha256(digits.encode()).hexdigest()[:32]
    return client, seconds // 60, code, seconds // 3600


def _retry_after(client_hits: int, code_hits: int, now: dt.datetime) -> int | None:
    """None when the attempt may go ahead, or the seconds to wait."""
    if client_hits > settings.TRUSTLABEL_RATE_PER_CLIENT:
        return 60 - int(now.timestamp()) % 60
    if code_hits > settings.TRUSTLABEL_RATE_PER_CODE:
        return 3600 - int(now.timestamp()) % 3600
    return None


def _forget_old_buckets(hour: int) -> None:
    if random.random() < 0.001:  # now and then, forget windows older than a day
        RateBucket.objects.filter(period__lt=hour - 24).delete()


_COUNT_SQL = """
    INSERT INTO {table} AS b (bucket, period, hits) VALUES (%s, %s, 1), (%s, %s, 1)
    ON CONFLICT (bucket, period) DO UPDATE SET hits = b.hits + 1
    RETURNING bucket, hits
"""


def _count_attempt(client_ip: str, digits: str, now: dt.datetime) -> int | None:
    """Count the attempt against the client's and the code's limits. Returns None when
    it may go ahead, or the seconds to wait."""
    client, minute, code, hour = _buckets(client_ip, digits, now)
    with connection.cursor() as cursor:
        cursor.execute(
            _COUNT_SQL.format(table=RateBucket._meta.db_table), [client, minute, code, hour]
        )
        hits = dict(cursor.fetchall())
    _forget_old_buckets(hour)
    return _retry_after(hits[client], hits[code], now)


def _log_scan(
    verdict: Verdict,
    reading: _Reading,
    context: CheckContext,
    place: Place | None,
    now: dt.datetime,
) -> None:
    ScanLog.objects.create(
        checked_at=now,
        channel=context.channel,
        verdict=verdict.kind,
        organisation_id=verdict.order.organisation_id if verdict.order else None,
        order=verdict.order,
        key_version=reading.key_version,
        serial=reading.serial,
        check_number=verdict.check_count or None,
        lat=place.lat if place else None,
        lon=place.lon if place else None,
        requester=requester_hash(context.client_ip),
    )


@functools.cache
def _scan_log_columns() -> str:
    names = ("checked_at", "channel", "verdict", "organisation", "order", "key_version")
    names += ("serial", "check_number", "lat", "lon", "requester")
    return ", ".join(ScanLog._meta.get_field(name).column for name in names)


# --- PostgreSQL: a check in one statement ------------------------------------------------
#
# On PostgreSQL a code whose MAC is right is checked by one statement (data-modifying CTEs)
# that counts the attempt, finds the order with its product, enterprise and lot, counts the
# check and flags a copy, judges it, appends it to the scan log and returns the lot's
# inspection reports: one round trip and one transaction of its own. It decides as
# `_decide`, `_record_check`, `_copy_reason` and `_judge` above do, written in SQL; the tests
# run on both databases, and test_hot_path checks the SQL journey against `_copy_reason`.


def one_statement_checks() -> bool:
    """Whether codes with a right MAC are checked in one statement (PostgreSQL)."""
    return connection.vendor == "postgresql"


_HAVERSINE_KM = """(2 * 6371.0 * asin(least(1.0, sqrt(
    power(sin((radians({lat2}) - radians({lat1})) / 2), 2)
    + cos(radians({lat1})) * cos(radians({lat2}))
    * power(sin((radians({lon2}) - radians({lon1})) / 2), 2)))))"""


def _check_in_one_statement(
    entered: Entered, reading: _Reading, context: CheckContext, place: Place | None, now
) -> Verdict:
    client, minute, code, hour = _buckets(context.client_ip, entered.digits, now)
    lat = place.lat if place else None
    lon = place.lon if place else None
    params = {
        "client": client,
        "minute": minute,
        "code": code,
        "hour": hour,
        "client_limit": settings.TRUSTLABEL_RATE_PER_CLIENT,
        "code_limit": settings.TRUSTLABEL_RATE_PER_CODE,
        "copy_limit": settings.TRUSTLABEL_COPY_CHECK_LIMIT,
        "max_kmh": float(settings.TRUSTLABEL_MAX_TRAVEL_KMH),
        "key_version": reading.key_version,
        "serial": reading.serial,
        "gtin": entered.gtin or None,
        "same_label": reading.same_label,
        "now": now,
        # The association's date: no request activates a time zone of its own.
        "today": timezone.localdate(now, timezone.get_default_timezone()),
        "lat": lat,
        "lon": lon,
        "placed_at": now if place else None,
        "channel": context.channel,
        "requester": client[len("ip:") :],
    }
    if connection.in_atomic_block:
        # Inside a caller's transaction: a savepoint, as transaction.atomic() makes.
        with transaction.atomic():
            row = _run_check_statement(params)
    else:
        row = _run_check_statement(params)  # autocommit: the statement is its transaction
    _forget_old_buckets(hour)
    client_hits, code_hits, kind, _, count, first_at, first_lat, first_lon, _, why = row[:10]
    retry_after = _retry_after(client_hits, code_hits, now)
    if retry_after is not None:
        raise RateLimited(retry_after)
    if kind is None:
        return Verdict(VerdictKind.UNKNOWN)
    order, product, organisation, lot = (
        _loaded(model, text)
        for model, text in zip((LabelOrder, Product, Organisation, Lot), row[10:14], strict=True)
    )
    product.organisation = organisation
    order.product = product
    order.lot = lot
    if kind == VerdictKind.NOT_ACTIVATED:
        return _not_activated(order)
    totals = _Totals(count, _aware(first_at), _dec(first_lat), _dec(first_lon))
    reason = why if kind == VerdictKind.SUSPECTED_COPY else None
    recall = _loaded(Recall, row[15]) if row[15] else None
    return _checked_verdict(kind, reason, order, totals, _loaded_reports(row[14]), recall)


def _run_check_statement(params: dict) -> tuple:
    """The check's statement, run on the current connection: its one row."""
    if connection.queries_logged or connection.execute_wrappers:
        # Someone is watching (DEBUG, a test counting queries, the benchmark capturing
        # what a check runs): through Django's cursor, which shows them the statement.
        with _preparing_cursor() as cursor:
            cursor.execute(_postgresql_check_query(), params)
            return cursor.fetchone()
    return _run_with_libpq(params)


class _PreparingCursor(psycopg.Cursor):
    """Binds parameters on the server and has every statement prepared, once per
    connection: planning the check's statement costs PostgreSQL more than running it."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True)


def _preparing_cursor():
    """A Django cursor over a `_PreparingCursor` of the current connection."""
    return bound_cursor(_PreparingCursor)


# Unwatched, the statement goes straight to libpq through psycopg's `pq` interface: the
# same statement, prepared under the same condition (the connection's prepare_threshold),
# with parameters sent as text and the row loaded by psycopg's own loaders, without the
# cursor layers of Django and psycopg, which cost a check more CPU than the round trip.
_STATEMENT = b"trustlabel_check"
_PING = b"trustlabel_ping"
# The type of each parameter, fixed when the statement is prepared.
_PARAMETER_TYPES = {
    **dict.fromkeys(("client", "code", "gtin", "channel", "requester"), "text"),
    **dict.fromkeys(("minute", "hour", "key_version", "serial"), "int8"),
    **dict.fromkeys(("client_limit", "code_limit", "copy_limit"), "int8"),
    **dict.fromkeys(("now", "placed_at"), "timestamptz"),
    **dict.fromkeys(("lat", "lon"), "numeric"),
    "today": "date",
    "max_kmh": "float8",
    "same_label": "bool",
}


@functools.cache
def _libpq_check_query() -> tuple[bytes, tuple[str, ...], tuple[int, ...]]:
    """The statement with numbered parameters, the parameters' names in that order and
    their type OIDs."""
    names = []

    def number(match):
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    sql = re.sub(r"%\((\w+)\)s", number, _postgresql_check_query()).replace("%%", "%")
    types = tuple(psycopg.postgres.types[_PARAMETER_TYPES[name]].oid for name in names)
    return sql.encode(), tuple(names), types


def _as_text(value) -> bytes | None:
    """A parameter in PostgreSQL's text format."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, dt.date):  # and datetimes, with their offset
        return value.isoformat().encode()
    return str(value).encode()


def _run_with_libpq(params: dict) -> tuple:
    db = connections[DEFAULT_DB_ALIAS]  # once: every `connection.x` looks it up again
    if db.connection is not None and not db.health_check_done:
        # Django's health check (close_if_health_check_failed), without a cursor.
        if db.health_check_enabled and not _answers(db):
            db.close()
        db.health_check_done = True
    db.ensure_connection()
    conn = db.connection
    sql, names, types = _libpq_check_query()
    values = [_as_text(params[name]) for name in names]
    with db.wrap_database_errors:
        if conn.prepare_threshold is None:
            result = _ok(conn.pgconn.exec_params(sql, values, types), conn)
        else:
            try:
                result = _ok(_exec_prepared(db, sql, values, types), conn)
            except psycopg.errors.InvalidSqlStatementName:
                # Deallocated behind our back (DISCARD ALL): it never ran. Once more,
                # unless it was in a transaction, which the error has aborted.
                db.trustlabel_prepared_on = None
                if db.in_atomic_block:
                    raise
                result = _ok(_exec_prepared(db, sql, values, types), conn)
        loader = _loader(db)
        loader.set_pgresult(result)
        return loader.load_row(0, tuple)


def _loader(db) -> Transformer:
    """psycopg's loaders for the connection's result rows, made once per connection."""
    conn = db.connection
    loader = getattr(db, "trustlabel_loader", None)
    if loader is None or loader.connection is not conn:
        loader = db.trustlabel_loader = Transformer(conn)
    return loader


def _exec_prepared(db, sql: bytes, values: list, types: tuple):
    # Prepared once per libpq connection (with the health check's `SELECT 1`); Django may
    # have opened a new one since.
    pgconn = db.connection.pgconn
    if getattr(db, "trustlabel_prepared_on", None) is not pgconn:
        _ok(pgconn.prepare(_PING, b"SELECT 1"), db.connection)
        _ok(pgconn.prepare(_STATEMENT, sql, types), db.connection)
        db.trustlabel_prepared_on = pgconn
    return pgconn.exec_prepared(_STATEMENT, values)


def _ok(result, conn):
    if result.status not in (psycopg.pq.ExecStatus.TUPLES_OK, psycopg.pq.ExecStatus.COMMAND_OK):
        raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
    return result


def _answers(db) -> bool:
    """Whether the connection still answers `SELECT 1` (Django's is_usable), prepared once
    it has been (a connection that lost it is replaced, as one that does not answer)."""
    pgconn = db.connection.pgconn
    try:
        if getattr(db, "trustlabel_prepared_on", None) is pgconn:
            result = pgconn.exec_prepared(_PING, [])
        else:
            result = pgconn.exec_(b"SELECT 1")
    except psycopg.Error:
        return False
    return result.status == psycopg.pq.ExecStatus.TUPLES_OK


# Every check of an order brings back the same rows as the same JSON text: each distinct
# text is loaded once into a model instance, which those checks share. A verdict's instances
# are read, never changed or saved; an edited row has another text and a new instance.
@functools.lru_cache(maxsize=4096)
def _loaded(model, text: str):
    """A model instance from PostgreSQL's row_to_json() of its row."""
    return _instance(model, json.loads(text))


@functools.lru_cache(maxsize=1024)
def _loaded_reports(text: str | None) -> tuple:
    """A lot's inspection reports from their json_agg() (NULL: none)."""
    return tuple(_instance(InspectionReport, data) for data in json.loads(text or "[]"))


def _instance(model, data: dict):
    values = [convert(data[column]) for column, convert in _json_columns(model)]
    return model.from_db(DEFAULT_DB_ALIAS, None, values)


def _same(value):
    return value


def _none_or(convert):
    return lambda value: None if value is None else convert(value)


# How the JSON of a column becomes the value the ORM would load, by field type.
_FROM_JSON = {
    "DateTimeField": _none_or(dt.datetime.fromisoformat),
    "DateField": _none_or(dt.date.fromisoformat),
    "DecimalField": _none_or(lambda value: Decimal(str(value))),
}
_AS_IN_JSON = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "BooleanField",
    "CharField",
    "EmailField",
    "FileField",
    "ImageField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "TextField",
    "URLField",
}


@functools.cache
def _json_columns(model) -> tuple:
    columns = []
    for f in model._meta.concrete_fields:
        kind = (f.target_field if f.is_relation else f).get_internal_type()
        if kind not in _FROM_JSON and kind not in _AS_IN_JSON:
            raise NotImplementedError(f"{f}: read {kind} from JSON in verify.core._FROM_JSON")
        columns.append((f.column, _FROM_JSON.get(kind, _same)))
    return tuple(columns)


@functools.cache
def _postgresql_check_query() -> str:
    """The check as one statement (see above). Rows come back as JSON text, independent
    of the order of the tables' columns, and loaded once per distinct text (_loaded)."""

    def column(model, name):
        return model._meta.get_field(name).column

    def as_(alias, column, name):
        return f"{alias}.{column}" + ("" if column == name else f" AS {name}")

    report_order = ", ".join(
        f"r.{column(InspectionReport, name.lstrip('-'))}" + (" DESC" if name[0] == "-" else "")
        for name in InspectionReport._meta.ordering
    )
    order_fk = {name: column(LabelOrder, name) for name in ("product", "lot", "organisation")}
    # The place columns as the update leaves them (`v`: the last placed check and the one
    # before it), the distance between them (`k`), and _copy_reason on them (`w`).
    places = ", ".join(
        f"COALESCE(excluded.{c}, s.{c}) AS {short}, "
        f"CASE WHEN excluded.place_at IS NULL THEN s.prev_{c} ELSE s.{c} END AS p_{short}"
        for c, short in (("place_at", "at"), ("place_lat", "lat"), ("place_lon", "lon"))
    )
    km = _HAVERSINE_KM.format(lat1="v.lat", lon1="v.lon", lat2="v.p_lat", lon2="v.p_lon")
    flagged = "s.copy_flagged_at IS NULL AND w.why IS NOT NULL"
    kinds = VerdictKind
    recall_lots = Recall.lots.through
    sql = f"""
        WITH hits AS (
            INSERT INTO {RateBucket._meta.db_table} AS b (bucket, period, hits)
            VALUES (%(client)s, %(minute)s, 1), (%(code)s, %(hour)s, 1)
            ON CONFLICT (bucket, period) DO UPDATE SET hits = b.hits + 1
            RETURNING bucket, hits
        ), att AS (
            SELECT (SELECT hits FROM hits WHERE bucket = %(client)s) AS client_hits,
                   (SELECT hits FROM hits WHERE bucket = %(code)s) AS code_hits
        ), ok AS (
            SELECT 1 FROM att
            WHERE client_hits <= %(client_limit)s AND code_hits <= %(code_limit)s
        ), found AS (
            SELECT o.id, {as_("o", order_fk["organisation"], "organisation_id")},
                {as_("o", order_fk["product"], "product_id")},
                {as_("o", order_fk["lot"], "lot_id")},
                o.{column(LabelOrder, "serial_start")} + o.{column(LabelOrder, "quantity")}
                    AS serial_end,
                {as_("p", column(Product, "gtin"), "gtin")},
                {as_("l", column(Lot, "expiry_date"), "expiry")},
                (o.{column(LabelOrder, "activation")} = '{LabelOrder.Activation.ISSUE}'
                 OR COALESCE((SELECT c.serial_end > %(serial)s
                    FROM {Commissioning._meta.db_table} c
                    WHERE c.key_version = %(key_version)s AND c.serial_start <= %(serial)s
                    ORDER BY c.serial_start DESC LIMIT 1), false)) AS active
            FROM {LabelOrder._meta.db_table} o
            JOIN {Product._meta.db_table} p ON p.id = o.{order_fk["product"]}
            JOIN {Lot._meta.db_table} l ON l.id = o.{order_fk["lot"]}
            WHERE o.{column(LabelOrder, "key_version")} = %(key_version)s
              AND o.{column(LabelOrder, "serial_start")} <= %(serial)s
            ORDER BY o.{column(LabelOrder, "serial_start")} DESC
            LIMIT 1
        ), ord AS (
            SELECT * FROM found
            WHERE %(serial)s < serial_end AND (%(gtin)s::text IS NULL OR gtin = %(gtin)s)
              AND %(same_label)s
        ), rec AS (
            SELECT r.id FROM {Recall._meta.db_table} r
            JOIN {recall_lots._meta.db_table} rl ON rl.recall_id = r.id
            WHERE rl.lot_id = (SELECT lot_id FROM ord) AND r.closed_at IS NULL
              AND r.opened_at <= %(now)s
            ORDER BY r.opened_at DESC, r.id DESC LIMIT 1
        ), stats AS (
            INSERT INTO {CodeCheckStats._meta.db_table} AS s ({_STATS_COLUMNS},
                copy_flagged_at, copy_reason)
            SELECT %(key_version)s, %(serial)s, 1, %(now)s, %(lat)s, %(lon)s, %(now)s,
                %(placed_at)s, %(lat)s, %(lon)s,
                CASE WHEN 1 > %(copy_limit)s THEN %(now)s END,
                CASE WHEN 1 > %(copy_limit)s THEN 'count' ELSE '' END
            FROM ord, ok WHERE ord.active
            ON CONFLICT (key_version, serial) DO UPDATE SET (check_count, last_at,
                place_at, prev_place_at, place_lat, prev_place_lat, place_lon,
                prev_place_lon, copy_flagged_at, copy_reason) = (
                SELECT s.check_count + 1, excluded.last_at, v.*,
                    CASE WHEN {flagged} THEN %(now)s ELSE s.copy_flagged_at END,
                    CASE WHEN {flagged} THEN w.why ELSE s.copy_reason END
                FROM (SELECT {places}) v, LATERAL (SELECT {km} AS km) k,
                LATERAL (SELECT CASE WHEN s.check_count + 1 > %(copy_limit)s THEN 'count'
                    WHEN v.at IS NOT NULL AND v.p_at IS NOT NULL AND k.km > 50
                        AND k.km / greatest(extract(epoch FROM v.at - v.p_at)::float8
                        / 3600, 1.0 / 3600)
                        > %(max_kmh)s::float8 THEN 'travel' END AS why) w)
            RETURNING id, check_count, first_at, first_lat, first_lon, copy_flagged_at,
                copy_reason
        ), j AS (
            SELECT stats.*, ord.id AS order_id, ord.organisation_id,
                ord.product_id, ord.lot_id, rec.id AS recall_id,
                CASE WHEN NOT ord.active THEN '{kinds.NOT_ACTIVATED}'
                     WHEN rec.id IS NOT NULL THEN '{kinds.RECALLED}'
                     WHEN stats.copy_flagged_at IS NOT NULL THEN '{kinds.SUSPECTED_COPY}'
                     WHEN ord.expiry < %(today)s THEN '{kinds.EXPIRED}'
                     WHEN stats.check_count = 1 THEN '{kinds.GENUINE}'
                     ELSE '{kinds.GENUINE_CHECKED_BEFORE}' END AS kind
            FROM ord LEFT JOIN stats ON true LEFT JOIN rec ON true
            WHERE stats.id IS NOT NULL OR NOT ord.active
        ), logged AS (
            INSERT INTO {ScanLog._meta.db_table} ({_scan_log_columns()})
            SELECT %(now)s, %(channel)s, COALESCE(j.kind, '{kinds.UNKNOWN}'),
                j.organisation_id, j.order_id, %(key_version)s, %(serial)s,
                j.check_count, %(lat)s, %(lon)s, %(requester)s
            FROM ok LEFT JOIN j ON true
        )
        SELECT att.client_hits, att.code_hits, j.kind, j.id,
            j.check_count, j.first_at, j.first_lat, j.first_lon,
            j.copy_flagged_at, j.copy_reason,
            row_to_json(o)::text, row_to_json(p)::text, row_to_json(g)::text,
            row_to_json(l)::text,
            (SELECT json_agg(r ORDER BY {report_order})
             FROM {InspectionReport._meta.db_table} r
             WHERE r.{column(InspectionReport, "lot")} = l.id)::text,
            row_to_json(rc)::text
        FROM att
        LEFT JOIN j ON true
        LEFT JOIN {LabelOrder._meta.db_table} o ON o.id = j.order_id
        LEFT JOIN {Product._meta.db_table} p ON p.id = j.product_id
        LEFT JOIN {Organisation._meta.db_table} g ON g.id = p.{column(Product, "organisation")}
        LEFT JOIN {Lot._meta.db_table} l ON l.id = j.lot_id
        LEFT JOIN {Recall._meta.db_table} rc ON rc.id = j.recall_id
    """  # noqa: S608 - table and column names are ours, every value is a parameter
    return " ".join(sql.split()).replace("( ", "(").replace(" )", ")")


def requester_hash(client_ip: str) -> str:
    """A keyed hash of the client address: tells repeat requesters apart, reveals nobody."""
    if not client_ip:
        return ""
    mac = _requester_mac(settings.SECRET_KEY).copy()
    mac.update(client_ip.encode())
    return mac.hexdigest()[:16]


@functools.lru_cache(maxsize=2)
def _requester_mac(secret: str) -> hmac.HMAC:
    """HMAC-SHA-256 keyed with the secret key, to be copied: keying it costs more than
    hashing an address."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)

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
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import InspectionReport, Lot, Product
from trustlabel.codes import codec
from trustlabel.codes.keys import code_key_for_digit, damm_valid, serial_of
from trustlabel.codes.models import LabelOrder

from .inputs import Entered, InvalidInput, normalise
from .models import Channel, CodeCheckStats, RateBucket, ScanLog, VerdictKind

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
    if reading.serial is not None and connection.vendor == "postgresql":
        return _check_in_one_statement(entered, reading, context, place, now)
    with transaction.atomic():
        # Counted in the same transaction as the check, and committed even when refused,
        # so that hammering stays limited; a refused attempt is never logged as a check.
        retry_after = _count_attempt(context.client_ip, entered.digits, now)
        verdict = None if retry_after is not None else _decide(entered, reading, place, now)
        if verdict is not None and verdict.kind != VerdictKind.PIN_REQUIRED:
            _log_scan(verdict, reading, context, place, now)
    if verdict is None:
        raise RateLimited(retry_after)
    return verdict


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
    stats = _record_check(reading.key_version, reading.serial, place, now)
    return _checked_verdict(order, stats, list(order.lot.reports.all()), now)


def _checked_verdict(
    order: LabelOrder, stats: CodeCheckStats, reports: list, now: dt.datetime
) -> Verdict:
    kind, reason = _judge(order, stats, now)
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
        reports=reports,
    )


def _judge(order: LabelOrder, stats: CodeCheckStats, now: dt.datetime) -> tuple[str, str | None]:
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
# from what the upsert returns (see _stats_from_row).
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
_STATS_RETURNED = 13


def _stats_values(key_version: int, serial: int, place: Place | None, now: dt.datetime) -> list:
    lat = place.lat if place else None
    lon = place.lon if place else None
    return [key_version, serial, now, lat, lon, now, now if place else None, lat, lon]


def _record_check(
    key_version: int, serial: int, place: Place | None, now: dt.datetime
) -> CodeCheckStats:
    """Count this check in one upsert and flag a copy if the code travelled impossibly."""
    sql = f"""
        INSERT INTO {CodeCheckStats._meta.db_table} AS s ({_STATS_COLUMNS})
        VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s)
        {_STATS_ON_CONFLICT}
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, _stats_values(key_version, serial, place, now))
        row = cursor.fetchone()
    return _stats_from_row(key_version, serial, row, now)


def _stats_from_row(key_version: int, serial: int, row, now: dt.datetime) -> CodeCheckStats:
    """The totals the upsert returned; flags a copy (checked too often, or travelled
    impossibly) the first time it shows."""
    stats = CodeCheckStats(
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
    if stats.copy_flagged_at is None:
        reason = _copy_reason(stats.check_count, row[7:13])
        if reason:
            CodeCheckStats.objects.filter(pk=stats.id).update(
                copy_flagged_at=now, copy_reason=reason
            )
            stats.copy_flagged_at = now
            stats.copy_reason = reason
    return stats


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
    """Append the check to the scan log: one INSERT, values prepared as the ORM would."""
    values = (
        now,
        context.channel,
        verdict.kind,
        verdict.order.organisation_id if verdict.order else None,
        verdict.order.pk if verdict.order else None,
        reading.key_version,
        reading.serial,
        verdict.check_count or None,
        place.lat if place else None,
        place.lon if place else None,
        requester_hash(context.client_ip),
    )
    fields = _scan_log_fields()
    with connection.cursor() as cursor:
        cursor.execute(
            _scan_log_sql(),
            [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)],
        )


@functools.cache
def _scan_log_fields() -> tuple:
    names = ("checked_at", "channel", "verdict", "organisation", "order", "key_version")
    names += ("serial", "check_number", "lat", "lon", "requester")
    return tuple(ScanLog._meta.get_field(name) for name in names)


@functools.cache
def _scan_log_sql() -> str:
    fields = _scan_log_fields()
    return (
        f"INSERT INTO {ScanLog._meta.db_table} ({', '.join(f.column for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )


# --- PostgreSQL: a check in two statements --------------------------------------------------
#
# On PostgreSQL a code whose MAC is right is checked with one statement that counts the
# attempt, finds the order with its product, enterprise and lot, counts the check when the
# attempt is allowed and the code belongs to the order, and returns the lot's inspection
# reports; a second statement appends the scan log. Both run in one transaction, as on
# every database; the decisions in Python are the same functions as above.


def _check_in_one_statement(
    entered: Entered, reading: _Reading, context: CheckContext, place: Place | None, now
) -> Verdict:
    client, minute, code, hour = _buckets(context.client_ip, entered.digits, now)
    params = {
        "client": client,
        "minute": minute,
        "code": code,
        "hour": hour,
        "client_limit": settings.TRUSTLABEL_RATE_PER_CLIENT,
        "code_limit": settings.TRUSTLABEL_RATE_PER_CODE,
        "key_version": reading.key_version,
        "serial": reading.serial,
        "gtin": entered.gtin or None,
        "same_label": reading.same_label,
        "now": now,
        "lat": place.lat if place else None,
        "lon": place.lon if place else None,
        "placed_at": now if place else None,
    }
    query = _postgresql_check_query()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(query.sql, params)
            row = cursor.fetchone()
        _forget_old_buckets(hour)
        retry_after = _retry_after(row[0], row[1], now)
        if retry_after is None:
            order = query.order(row)
            if order is None or row[query.stats_at] is None:
                verdict = Verdict(VerdictKind.UNKNOWN)
            else:
                stats = _stats_from_row(
                    reading.key_version, reading.serial, row[query.stats_at :], now
                )
                verdict = _checked_verdict(order, stats, query.reports(row), now)
            _log_scan(verdict, reading, context, place, now)
    if retry_after is not None:
        raise RateLimited(retry_after)
    return verdict


@dataclass(frozen=True)
class _CheckQuery:
    sql: str
    # Where each model's columns start in the row.
    order_at: int
    product_at: int
    organisation_at: int
    lot_at: int
    reports_at: int
    stats_at: int

    def order(self, row) -> LabelOrder | None:
        if row[self.order_at] is None:
            return None
        db = connection.alias
        order = LabelOrder.from_db(db, None, row[self.order_at : self.product_at])
        product = Product.from_db(db, None, row[self.product_at : self.organisation_at])
        product.organisation = Organisation.from_db(
            db, None, row[self.organisation_at : self.lot_at]
        )
        order.product = product
        order.lot = Lot.from_db(db, None, row[self.lot_at : self.reports_at])
        return order

    def reports(self, row) -> list[InspectionReport]:
        fields = InspectionReport._meta.concrete_fields
        reports = []
        for values in json.loads(row[self.reports_at] or "[]"):
            converted = [
                None if v is None else _FROM_JSON.get(f.get_internal_type(), _same)(v)
                for f, v in zip(fields, values, strict=True)
            ]
            reports.append(InspectionReport.from_db(connection.alias, None, converted))
        return reports


def _same(value):
    return value


_FROM_JSON = {
    "DateField": dt.date.fromisoformat,
    "DateTimeField": dt.datetime.fromisoformat,
    "DecimalField": Decimal,
}


@functools.cache
def _postgresql_check_query() -> _CheckQuery:
    def columns(model, alias):
        return [f"{alias}.{f.column}" for f in model._meta.concrete_fields]

    order_cols = columns(LabelOrder, "o")
    product_cols = columns(Product, "p")
    organisation_cols = columns(Organisation, "g")
    lot_cols = columns(Lot, "l")
    report_cols = columns(InspectionReport, "r")
    selected = order_cols + product_cols + organisation_cols + lot_cols
    named = [f"{c} AS c{i}" for i, c in enumerate(selected)]
    returned = [f"c{i}" for i in range(len(selected))]
    report_order = ", ".join(
        f"r.{InspectionReport._meta.get_field(name.lstrip('-')).column}"
        + (" DESC" if name.startswith("-") else "")
        for name in InspectionReport._meta.ordering
    )
    sql = f"""
        WITH hits AS (
            INSERT INTO {RateBucket._meta.db_table} AS b (bucket, period, hits)
            VALUES (%(client)s, %(minute)s, 1), (%(code)s, %(hour)s, 1)
            ON CONFLICT (bucket, period) DO UPDATE SET hits = b.hits + 1
            RETURNING bucket, hits
        ), attempt AS (
            SELECT (SELECT hits FROM hits WHERE bucket = %(client)s) AS client_hits,
                   (SELECT hits FROM hits WHERE bucket = %(code)s) AS code_hits
        ), found AS (
            SELECT {", ".join(named)}
            FROM {LabelOrder._meta.db_table} o
            JOIN {Product._meta.db_table} p ON p.id = o.product_id
            JOIN {Organisation._meta.db_table} g ON g.id = p.organisation_id
            JOIN {Lot._meta.db_table} l ON l.id = o.lot_id
            WHERE o.key_version_id = %(key_version)s AND o.serial_start <= %(serial)s
            ORDER BY o.serial_start DESC
            LIMIT 1
        ), the_order AS (
            SELECT * FROM found
            WHERE %(serial)s < found.c{selected.index("o.serial_start")}
                               + found.c{selected.index("o.quantity")}
              AND (%(gtin)s::text IS NULL OR found.c{selected.index("p.gtin")} = %(gtin)s)
        ), stats AS (
            INSERT INTO {CodeCheckStats._meta.db_table} AS s ({_STATS_COLUMNS})
            SELECT %(key_version)s, %(serial)s, 1, %(now)s, %(lat)s, %(lon)s, %(now)s,
                   %(placed_at)s, %(lat)s, %(lon)s
            FROM the_order, attempt
            WHERE %(same_label)s
              AND attempt.client_hits <= %(client_limit)s
              AND attempt.code_hits <= %(code_limit)s
            {_STATS_ON_CONFLICT}
        )
        SELECT attempt.client_hits, attempt.code_hits, {", ".join(returned)},
            CASE WHEN stats.id IS NOT NULL THEN (
                SELECT json_agg(json_build_array({", ".join(report_cols)})
                                ORDER BY {report_order})::text
                FROM {InspectionReport._meta.db_table} r
                WHERE r.lot_id = the_order.c{selected.index("l.id")}
            ) END,
            stats.*
        FROM attempt
        LEFT JOIN the_order ON true
        LEFT JOIN stats ON true
    """  # noqa: S608 - table and column names are ours, every value is a parameter
    order_at = 2
    product_at = order_at + len(order_cols)
    organisation_at = product_at + len(product_cols)
    lot_at = organisation_at + len(organisation_cols)
    reports_at = lot_at + len(lot_cols)
    return _CheckQuery(
        " ".join(sql.split()),
        order_at,
        product_at,
        organisation_at,
        lot_at,
        reports_at,
        reports_at + 1,
    )


def requester_hash(client_ip: str) -> str:
    """A keyed hash of the client address: tells repeat requesters apart, reveals nobody."""
    if not client_ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), client_ip.encode(), hashlib.sha256).hexdigest()[
        :16
    ]

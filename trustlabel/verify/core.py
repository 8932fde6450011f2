"""The verification core: the only place that decides what a code is.

Every channel (web page, JSON API, SMS, WeChat, phone) calls `verify()` and renders the
`Verdict` it returns in its own words and language. A check appends to the scan log and
updates the code's running check totals; it never changes the code's own state.
"""

import datetime as dt
import hashlib
import hmac
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from trustlabel.catalog.models import Lot, Product
from trustlabel.codes import codec
from trustlabel.codes.keys import code_key_for_digit
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
    with transaction.atomic():
        # Counted in the same transaction as the check, and committed even when refused,
        # so that hammering stays limited; a refused attempt is never logged as a check.
        retry_after = _count_attempt(context.client_ip, entered.digits, now)
        if retry_after is not None:
            verdict = None
        else:
            verdict, key_version, serial = _decide(entered, context, place, now)
        if verdict is not None and verdict.kind != VerdictKind.PIN_REQUIRED:
            ScanLog.objects.create(
                checked_at=now,
                channel=context.channel,
                verdict=verdict.kind,
                organisation_id=verdict.order.organisation_id if verdict.order else None,
                order=verdict.order,
                key_version=key_version,
                serial=serial,
                check_number=verdict.check_count or None,
                lat=place.lat if place else None,
                lon=place.lon if place else None,
                requester=requester_hash(context.client_ip),
            )
    if verdict is None:
        raise RateLimited(retry_after)
    return verdict


def _decide(
    entered: Entered, context: CheckContext, place: Place | None, now: dt.datetime
) -> tuple[Verdict, int | None, int | None]:
    digits = entered.digits
    if len(digits) == codec.PUBLIC_LENGTH and context.public_serial is None:
        return _public_serial_verdict(digits), None, None
    if len(digits) != codec.CODE_LENGTH or not codec.damm_valid(digits):
        return Verdict(VerdictKind.MISTYPED), None, None
    key = code_key_for_digit(int(digits[0]))
    if key is None:
        return Verdict(VerdictKind.UNKNOWN), None, None
    serial = key.serial_of(codec.parse_code(digits))
    if serial is None:
        return Verdict(VerdictKind.UNKNOWN), key.version, None
    order = find_order(key.version, serial)
    if order is None or (entered.gtin and entered.gtin != order.product.gtin):
        return Verdict(VerdictKind.UNKNOWN), key.version, serial
    if context.public_serial is not None and context.public_serial != key.public_serial(serial):
        # A real hidden code, but from another label than the one scanned.
        return Verdict(VerdictKind.UNKNOWN), key.version, serial
    stats = _record_check(key.version, serial, place, now)
    kind, reason = _judge(order, stats, now)
    verdict = Verdict(
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
        reports=list(order.lot.reports.all()),
    )
    return verdict, key.version, serial


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


def _record_check(
    key_version: int, serial: int, place: Place | None, now: dt.datetime
) -> CodeCheckStats:
    """Count this check in one upsert and flag a copy if the code travelled impossibly."""
    table = CodeCheckStats._meta.db_table
    lat = place.lat if place else None
    lon = place.lon if place else None
    placed_at = now if place else None
    sql = f"""
        INSERT INTO {table} AS s (key_version, serial, check_count, first_at, first_lat,
            first_lon, last_at, place_at, place_lat, place_lon)
        VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (key_version, serial) DO UPDATE SET
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
        RETURNING id, check_count, first_at, first_lat, first_lon, copy_flagged_at,
            copy_reason, place_at, place_lat, place_lon,
            prev_place_at, prev_place_lat, prev_place_lon
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_version, serial, now, lat, lon, now, placed_at, lat, lon])
        row = cursor.fetchone()
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
        reason = _copy_reason(stats.check_count, row[7:])
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


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


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


def _count_attempt(client_ip: str, digits: str, now: dt.datetime) -> int | None:
    """Count the attempt against the client's and the code's limits. Returns None when
    it may go ahead, or the seconds to wait."""
    minute = int(now.timestamp()) // 60
    hour = int(now.timestamp()) // 3600
    client = "ip:" + requester_hash(client_ip)
    code = "code:" + hashlib.sha256(digits.encode()).hexdigest()[:32]
    table = RateBucket._meta.db_table
    sql = f"""
        INSERT INTO {table} AS b (bucket, period, hits) VALUES (%s, %s, 1), (%s, %s, 1)
        ON CONFLICT (bucket, period) DO UPDATE SET hits = b.hits + 1
        RETURNING bucket, hits
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [client, minute, code, hour])
        hits = dict(cursor.fetchall())
    if random.random() < 0.001:  # now and then, forget windows older than a day
        RateBucket.objects.filter(period__lt=hour - 24).delete()
    if hits[client] > settings.TRUSTLABEL_RATE_PER_CLIENT:
        return 60 - int(now.timestamp()) % 60
    if hits[code] > settings.TRUSTLABEL_RATE_PER_CODE:
        return 3600 - int(now.timestamp()) % 3600
    return None


def requester_hash(client_ip: str) -> str:
    """A keyed hash of the client address: tells repeat requesters apart, reveals nobody."""
    if not client_ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), client_ip.encode(), hashlib.sha256).hexdigest()[
        :16
    ]

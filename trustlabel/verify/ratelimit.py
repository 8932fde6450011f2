"""Counting hits against limits, shared by every worker on every host.

Hits are counted per (bucket, period) in the database with one atomic upsert, so no
in-process state is needed and the same limits hold however many web workers run. The
verification core counts its own attempts inside its check statement; this module serves
everything else a stranger can reach (sign-in)."""

import datetime as dt
import hashlib
import random

from django.db import connection

from .models import RateBucket


def count_hits(buckets: list[tuple[str, int]]) -> dict[str, int]:
    """Add one hit to each (bucket, period) and return every bucket's hits so far."""
    rows = ", ".join(["(%s, %s, 1)"] * len(buckets))
    sql = f"""
        INSERT INTO {RateBucket._meta.db_table} AS b (bucket, period, hits) VALUES {rows}
        ON CONFLICT (bucket, period) DO UPDATE SET hits = b.hits + 1
        RETURNING bucket, hits
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for pair in buckets for value in pair])
        hits = dict(cursor.fetchall())
    if random.random() < 0.001:  # now and then, forget windows older than a day
        RateBucket.objects.filter(period__lt=_period(dt.datetime.now(dt.UTC), 3600) - 24).delete()
    return hits


def _period(now: dt.datetime, seconds: int) -> int:
    return int(now.timestamp()) // seconds


class Limit:
    """At most `count` hits per `seconds` for one kind of bucket."""

    def __init__(self, name: str, count: int, seconds: int):
        self.name, self.count, self.seconds = name, count, seconds

    def bucket(self, key: str, now: dt.datetime) -> tuple[str, int]:
        # Hashed: buckets name no address or account, and all fit the column.
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return (f"{self.name}:{digest}", _period(now, self.seconds))

    def retry_after(self, now: dt.datetime) -> int:
        return self.seconds - int(now.timestamp()) % self.seconds


def check_limits(limits: list[tuple[Limit, str]], now: dt.datetime) -> int | None:
    """Count a hit against each (limit, key); the seconds to wait if any is exceeded."""
    buckets = [limit.bucket(key, now) for limit, key in limits]
    hits = count_hits(buckets)
    waits = [
        limit.retry_after(now)
        for (limit, _), (bucket, _) in zip(limits, buckets, strict=True)
        if hits[bucket] > limit.count
    ]
    return max(waits) if waits else None

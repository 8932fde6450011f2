"""Migrations with a hand-written way back: run back and forth over rows."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = ("trace", "0006_stored_text_and_epc_hash"), ("trace", "0007_hash_indexes")
KEYS = ["https://id.gs1.org/01/06901234567892/21/A1", "https://id.gs1.org/00/169012340000000017"]


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_hash_indexes_migrate_back_with_each_keys_64_bit_hash_and_forward_again():
    rows = [
        (event, position, KEYS[(event + position) % 2]) for event in (1, 2) for position in (0, 1)
    ]
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO trace_eventepc (event_id, position, epc, role, epc_hash) "
                "VALUES (%s, %s, %s, 'epc', 0)",
                rows,
            )
        migrate(AFTER)
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, position, epc FROM trace_eventepc ORDER BY 1, 2")
            assert cursor.fetchall() == rows
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT epc, epc_hash FROM trace_eventepc ORDER BY event_id, position")
            back = cursor.fetchall()
    finally:
        migrate(AFTER)

    def hash_0006(key: str) -> int:
        digest = hashlib.md5(key.encode(), usedforsecurity=False).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    assert back == [(key, hash_0006(key)) for _, _, key in rows]

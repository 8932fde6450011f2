"""Migrations with a hand-written way back: run back and forth over rows."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = ("trace", "0006_stored_text_and_epc_hash"), ("trace", "0007_hash_indexes")
KEYS = ["https://id.gs1.org/01/06901234567892/21/A1", "https://id.gs1.org/00/169012340000000017"]


def migrate(target: tuple[str, str] | None = None) -> None:
    """Migrate the database to `target`, or to trace's latest migration."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target or executor.loader.graph.leaf_nodes("trace")[0]])


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
        migrate()

    def hash_0006(key: str) -> int:
        digest = hashlib.md5(key.encode(), usedforsecurity=False).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    assert back == [(key, hash_0006(key)) for _, _, key in rows]


@pytest.mark.django_db(transaction=True)
def test_packed_children_move_to_their_containments_and_back_to_their_positions():
    # Event 1 packs two items in a case (as capture indexed it before 0009), event 2
    # observes the case's items (children that are no containments: they stay), event 3
    # packs an item whose containment was never derived (it stays too).
    case, items = KEYS[1], [KEYS[0], "urn:example:item"]
    rows = [
        (1, 0, items[0], "child"),
        (1, 1, items[1], "child"),
        (1, 2, case, "parent"),
        (2, 0, items[0], "child"),
        (3, 0, "urn:example:loose", "child"),
        (3, 1, case, "parent"),
    ]
    try:
        migrate(("trace", "0008_event_capture_without_index"))
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO trace_eventepc (event_id, position, epc, role) "
                "VALUES (%s, %s, %s, %s)",
                rows,
            )
            cursor.executemany(
                "INSERT INTO trace_containment (parent, child, packed_at, event_id) "
                "VALUES (%s, %s, '2026-11-22T08:00:00Z', 1)",
                [(case, item) for item in items],
            )
        migrate(("trace", "0009_packed_children_in_containments"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, position, epc, role FROM trace_eventepc ORDER BY 1, 2")
            moved = cursor.fetchall()
        migrate(("trace", "0008_event_capture_without_index"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, position, epc, role FROM trace_eventepc ORDER BY 1, 2")
            back = cursor.fetchall()
    finally:
        migrate()

    assert moved == rows[2:]
    assert back == rows


@pytest.mark.django_db(transaction=True)
def test_who_captured_an_event_moves_from_its_parties_to_the_event_and_back():
    """Event 1 was captured by organisation 7, which owns its product too; event 2 came
    from the platform itself (no one captured it)."""
    parties = [(1, 7, "captured"), (1, 7, "owner"), (2, 8, "owner")]
    try:
        migrate(("trace", "0009_packed_children_in_containments"))
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO trace_event (id, event_id, declares_error, cbv_hash, event_type, "
                "event_time, record_time, action, biz_step, disposition, read_point, "
                "biz_location, body, body_sha256, captured_by_id) VALUES (%s, %s, false, '', "
                "'ObjectEvent', '2026-11-22T08:00:00Z', '2026-11-22T08:00:00Z', '', '', '', '', "
                "'', '{}', '', %s)",
                [(1, "urn:example:1", 7), (2, "urn:example:2", None)],
            )
            cursor.executemany(
                "INSERT INTO trace_eventparty (event_id, organisation_id, reason) "
                "VALUES (%s, %s, %s)",
                parties,
            )
        migrate(("trace", "0010_capturer_by_event_not_party"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, organisation_id, reason FROM trace_eventparty")
            moved = sorted(cursor.fetchall())
        migrate(("trace", "0009_packed_children_in_containments"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, organisation_id, reason FROM trace_eventparty")
            back = sorted(cursor.fetchall())
    finally:
        migrate()

    assert moved == parties[1:]
    assert back == parties

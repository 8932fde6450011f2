"""Serial allocation: every order gets its own range of the key version's serial space,
however many workers order at the same moment."""

import itertools
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from trustlabel.codes import actions as codes
from trustlabel.codes.codec import MAX_SERIALS_PER_VERSION
from trustlabel.codes.models import KeyVersion, LabelOrder

WORKERS = 8
ORDERS_EACH = 5


def assert_disjoint(orders) -> None:
    ranges = sorted((o.key_version_id, o.serial_start, o.serial_end) for o in orders)
    for (v1, _start, end), (v2, start, _end) in itertools.pairwise(ranges):
        assert v1 != v2 or end <= start, f"overlap: {ranges}"


def test_it_gives_orders_consecutive_ranges(world):
    actor = world.enterprise.actor
    a = codes.do_create_label_order(actor, world.product, world.lot, 7, "open")
    b = codes.do_create_label_order(actor, world.product, world.lot, 3, "scratch")
    assert a.serial_start == world.scratch_order.serial_end
    assert b.serial_start == a.serial_end
    assert KeyVersion.objects.get(is_active=True).next_serial == b.serial_end
    assert_disjoint(LabelOrder.objects.all())


def test_it_stops_allocating_when_a_version_is_full(world):
    KeyVersion.objects.filter(is_active=True).update(next_serial=MAX_SERIALS_PER_VERSION - 5)
    actor = world.enterprise.actor
    with pytest.raises(ValidationError, match="rotate keys"):
        codes.do_create_label_order(actor, world.product, world.lot, 6, "open")
    last = codes.do_create_label_order(actor, world.product, world.lot, 5, "open")
    assert last.serial_end == MAX_SERIALS_PER_VERSION


def test_it_refuses_orders_for_another_enterprises_product(world):
    with pytest.raises(ValidationError):
        codes.do_create_label_order(world.outsider.actor, world.product, world.lot, 5, "open")
    assert LabelOrder.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel allocation needs PostgreSQL: set DATABASE_URL=postgres://… to run it",
)
@pytest.mark.django_db(transaction=True)
def test_it_never_overlaps_orders_made_at_the_same_moment(world):
    """Workers with their own database connections order at once, behind a barrier."""
    actor = world.enterprise.actor
    start = threading.Barrier(WORKERS)
    made: list[LabelOrder] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for k in range(ORDERS_EACH):
                quantity = 1 + (n * ORDERS_EACH + k) % 7 * 1000
                made.append(
                    codes.do_create_label_order(actor, world.product, world.lot, quantity, "open")
                )
        except BaseException as e:
            errors.append(e)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(made) == WORKERS * ORDERS_EACH
    orders = list(LabelOrder.objects.all())
    assert_disjoint(orders)
    # No gaps either: the counter moved by exactly what was handed out.
    assert KeyVersion.objects.get(is_active=True).next_serial == sum(o.quantity for o in orders)

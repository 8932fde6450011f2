import datetime as dt

import pytest
from django.utils import timezone

from trustlabel.verify.core import CheckContext, InvalidInput, RateLimited, verify
from trustlabel.verify.models import CodeCheckStats, ScanLog


def test_it_calls_a_first_check_genuine_and_counts_later_ones(world):
    code = world.code(index=3)
    first = verify(code)
    assert first.kind == "genuine"
    assert first.check_count == 1
    assert first.product == world.product
    assert first.lot == world.lot
    assert [r.report_number for r in first.reports] == ["JY-2026-0042"]
    second = verify(code)
    assert second.kind == "genuine_checked_before"
    assert second.check_count == 2
    assert second.first_checked_at == first.first_checked_at
    assert ScanLog.objects.filter(serial=world.open_order.serial_start + 3).count() == 2


def test_it_accepts_what_people_type(world):
    code = world.code(index=4)
    spaced = " ".join(code[i : i + 4] for i in range(0, 20, 4))
    full_width = spaced.translate(str.maketrans("0123456789 ", "０１２３４５６７８９\u3000"))
    dashed = "-".join(code[i : i + 5] for i in range(0, 20, 5))
    kinds = [verify(text).kind for text in (spaced, full_width, dashed)]
    assert kinds == ["genuine", "genuine_checked_before", "genuine_checked_before"]


def test_it_reads_the_qr_content(world, settings):
    code = world.code(index=5)
    link = f"{settings.TRUSTLABEL_BASE_URL}/01/{world.product.gtin}/21/{code}"
    assert verify(link).kind == "genuine"


def test_it_calls_a_code_with_the_wrong_gtin_in_its_link_unknown(world, settings):
    code = world.code(index=5)
    link = f"{settings.TRUSTLABEL_BASE_URL}/01/09506000134352/21/{code}"
    assert verify(link).kind == "unknown"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1" * 301, "too_long"),
        ("12345abcde", "not_digits"),
        ("https://evil.example.com/01/06901234567892/21/12345678901234567890", "foreign_domain"),
    ],
)
def test_it_refuses_input_that_is_not_a_code_and_logs_nothing(world, raw, reason):
    with pytest.raises(InvalidInput) as e:
        verify(raw)
    assert e.value.code == reason
    assert str(e.value.message)
    assert not ScanLog.objects.exists()


def test_it_calls_a_wrong_length_or_check_digit_mistyped(world):
    code = world.code(index=6)
    assert verify(code[:-1]).kind == "mistyped"
    wrong_check = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert verify(wrong_check).kind == "mistyped"


def test_it_calls_an_unissued_serial_unknown(world):
    order = world.scratch_order
    beyond = world.code(order=order, index=order.quantity)  # one past the last issued
    assert verify(beyond).kind == "unknown"


def test_it_flags_a_code_checked_too_often(world, settings):
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 3
    code = world.code(index=7)
    kinds = [verify(code).kind for _ in range(5)]
    assert kinds == [
        "genuine",
        "genuine_checked_before",
        "genuine_checked_before",
        "suspected_copy",
        "suspected_copy",
    ]
    assert CodeCheckStats.objects.get(serial=world.open_order.serial_start + 7).copy_reason == (
        "count"
    )


def test_it_flags_a_code_that_travels_faster_than_a_plane(world):
    code = world.code(index=8)
    now = timezone.now()
    shanghai = CheckContext(lat=31.23, lon=121.47, now=now)
    beijing_soon = CheckContext(lat=39.90, lon=116.40, now=now + dt.timedelta(minutes=30))
    assert verify(code, shanghai).kind == "genuine"
    verdict = verify(code, beijing_soon)
    assert verdict.kind == "suspected_copy"
    assert verdict.copy_reason == "travel"


def test_it_does_not_flag_a_journey_that_could_be_made(world):
    code = world.code(index=9)
    now = timezone.now()
    verify(code, CheckContext(lat=31.23, lon=121.47, now=now))
    later = CheckContext(lat=39.90, lon=116.40, now=now + dt.timedelta(hours=6))
    assert verify(code, later).kind == "genuine_checked_before"


def test_it_calls_a_genuine_code_of_an_expired_lot_expired(world):
    world.lot.expiry_date = dt.date(2020, 1, 1)
    world.lot.production_date = dt.date(2019, 1, 1)
    world.lot.save()
    assert verify(world.code(index=10)).kind == "expired"


def test_it_asks_for_the_hidden_code_when_given_a_public_serial(world):
    verdict = verify(world.public_serial(index=2))
    assert verdict.kind == "pin_required"
    assert verdict.product == world.product
    assert not ScanLog.objects.exists()


def test_it_checks_a_hidden_code_against_the_label_it_came_from(world):
    order = world.scratch_order
    public = world.public_serial(index=2)
    hidden = world.code(order=order, index=2)
    other_hidden = world.code(order=order, index=3)
    assert verify(hidden, CheckContext(public_serial=public)).kind == "genuine"
    assert verify(other_hidden, CheckContext(public_serial=public)).kind == "unknown"


def test_it_limits_checks_per_client_without_a_wrong_verdict(world, settings):
    settings.TRUSTLABEL_RATE_PER_CLIENT = 3
    context = CheckContext(client_ip="203.0.113.9")
    for index in range(3):
        assert verify(world.code(index=20 + index), context).is_genuine
    with pytest.raises(RateLimited) as e:
        verify(world.code(index=30), context)
    assert 0 < e.value.retry_after <= 60
    # The refused attempt was not a check: the code is still unchecked.
    assert verify(world.code(index=30), CheckContext(client_ip="203.0.113.10")).kind == "genuine"


def test_it_limits_checks_per_code(world, settings):
    settings.TRUSTLABEL_RATE_PER_CODE = 2
    code = world.code(index=40)
    verify(code, CheckContext(client_ip="198.51.100.1"))
    verify(code, CheckContext(client_ip="198.51.100.2"))
    with pytest.raises(RateLimited):
        verify(code, CheckContext(client_ip="198.51.100.3"))
    assert ScanLog.objects.filter(serial=world.open_order.serial_start + 40).count() == 2


def test_it_keeps_no_client_address_in_the_scan_log(world):
    verify(world.code(index=50), CheckContext(client_ip="192.0.2.77", lat=31.2345, lon=121.4789))
    scan = ScanLog.objects.get()
    assert "192.0.2.77" not in scan.requester
    assert len(scan.requester) == 16
    assert (str(scan.lat), str(scan.lon)) == ("31.23", "121.48")

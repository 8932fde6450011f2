"""The scan log and suspected copies pages of the enterprise portal."""

import datetime as dt
import json
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from trustlabel.accounts.tests.roles import ROLES, client_for
from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.trace import actions as trace
from trustlabel.trace.tests.test_recalls import TEXTS as RECALL
from trustlabel.verify.core import CheckContext, verify
from trustlabel.verify.models import ScanLog, VerdictKind
from trustlabel.verify.reports import CHART_COLOURS, checks_per_day

PAGE = {
    "anonymous": 302,
    "admin": 200,
    "staff": 200,
    "outsider": 200,
    "distributor": 403,
    "inspector": 403,
    "association": 200,
}
BEIJING = (39.90, 116.40)
GUANGZHOU = (23.13, 113.26)
SHANGHAI = (31.23, 121.47)


@dataclass
class Checks:
    day1: dt.date
    day2: dt.date
    outsider_product: object
    # Checks of the enterprise's codes, of the outsider's, and of no code at all.
    enterprise_count: int = 7
    outsider_count: int = 1
    unmatched_count: int = 1


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def check(code: str, when: dt.datetime, channel: str = "web", place=(None, None)):
    lat, lon = place
    return verify(code, CheckContext(channel=channel, now=when, lat=lat, lon=lon)).kind


def record_checks(world, settings) -> Checks:
    """Consumers check codes on two recent days: one code twice, one code in Beijing and
    in Guangzhou ten minutes apart (a copy), a scratch-off code three times (a copy, with
    at most two checks allowed), a code of the outsider, and a typo."""
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 2
    today = timezone.localdate()
    day1, day2 = today - dt.timedelta(days=5), today - dt.timedelta(days=3)
    once_twice = world.code(index=1)
    assert check(once_twice, at(day1, 10), "web", SHANGHAI) == "genuine"
    assert check(once_twice, at(day2, 11), "qr") == "genuine_checked_before"
    travelled = world.code(index=2)
    assert check(travelled, at(day2, 9), "wechat", BEIJING) == "genuine"
    assert check(travelled, at(day2, 9, 10), "wechat", GUANGZHOU) == "suspected_copy"
    scratch = world.code(world.scratch_order, 7)
    kinds = [check(scratch, at(day2, 12, minute), "sms") for minute in range(3)]
    assert kinds == ["genuine", "genuine_checked_before", "suspected_copy"]

    biscuits = catalog.do_create_product(world.outsider.organisation, "4006381333931", "别家饼干")
    lot = catalog.do_create_lot(biscuits, "B1", day1, 100, "别家工厂")
    order = codes.do_create_label_order(world.outsider.actor, biscuits, lot, 10, "open", "issue")
    assert check(world.code(order, 0), at(day1, 15)) == "genuine"
    assert check("1234 5678 9012 3456 7890", at(day1, 16)) == "mistyped"
    return Checks(day1, day2, biscuits)


@pytest.fixture
def checks(world, settings) -> Checks:
    return record_checks(world, settings)


def rows_of(response) -> int:
    table = response.content.decode().split('<table id="scans">')[1].split("</table>")[0]
    return len(re.findall(r'<tr class="verdict-', table))


def chart_of(response) -> dict:
    match = re.search(
        r'<script id="chart-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1)) if match else None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["scans:log", "scans:copies"])
def test_it_lets_each_role_open_only_its_pages(world, page, role):
    response = client_for(world, role).get(reverse(page))
    assert response.status_code == PAGE[role]
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("role", "count"),
    [("admin", 7), ("staff", 7), ("outsider", 1), ("association", 9)],
)
def test_it_shows_each_enterprise_only_the_checks_of_its_codes(world, checks, role, count):
    response = client_for(world, role).get(reverse("scans:log"))
    assert rows_of(response) == count
    assert f"{count} check".encode() in response.content


def test_it_opens_on_the_last_thirty_days(world, checks):
    response = client_for(world, "admin").get(reverse("scans:log"))
    first = timezone.localdate() - dt.timedelta(days=29)
    assert f'value="{first.isoformat()}"'.encode() in response.content
    old = client_for(world, "admin").get(
        reverse("scans:log"), {"date_from": "2000-01-01", "date_to": "2000-01-31"}
    )
    assert rows_of(old) == 0
    assert b"No checks in this period." in old.content


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({"verdict": "suspected_copy"}, 2),
        ({"verdict": "genuine"}, 3),
        ({"channel": "qr"}, 1),
        ({"channel": "sms"}, 3),
        ({"day": "day1"}, 1),
        ({"day": "day2"}, 6),
    ],
)
def test_it_filters_the_scan_log(world, checks, filters, count):
    if day := filters.pop("day", None):
        date = getattr(checks, day).isoformat()
        filters = {"date_from": date, "date_to": date}
    response = client_for(world, "admin").get(reverse("scans:log"), filters)
    assert rows_of(response) == count


def test_it_filters_by_product_and_lets_the_association_pick_an_enterprise(world, checks):
    association = client_for(world, "association")
    by_product = association.get(reverse("scans:log"), {"product": checks.outsider_product.pk})
    assert rows_of(by_product) == 1
    by_enterprise = association.get(
        reverse("scans:log"), {"enterprise": world.enterprise.organisation.pk}
    )
    assert rows_of(by_enterprise) == 7
    # An enterprise cannot pick another's products: the choice is not offered.
    outsider_product = client_for(world, "admin").get(
        reverse("scans:log"), {"product": checks.outsider_product.pk}
    )
    assert b"Select a valid choice" in outsider_product.content


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, b"The start date is after"),
        ({"date_from": "yesterday"}, b"Enter a valid date"),
        ({"verdict": "fake"}, b"Select a valid choice"),
        ({"channel": "pigeon"}, b"Select a valid choice"),
        ({"product": "abc"}, b"Select a valid choice"),
    ],
)
def test_it_explains_a_bad_filter(world, checks, filters, message):
    response = client_for(world, "admin").get(reverse("scans:log"), filters)
    assert response.status_code == 200
    assert message in response.content


def test_it_charts_checks_per_day_with_a_table_for_readers_without_javascript(world, checks):
    response = client_for(world, "admin").get(reverse("scans:log"))
    chart = chart_of(response)
    assert len(chart["days"]) == 30
    assert chart["days"][-1] == timezone.localdate().isoformat()
    by_day = dict(zip(chart["days"], chart["totals"], strict=True))
    assert by_day[checks.day1.isoformat()] == 1
    assert by_day[checks.day2.isoformat()] == 6
    assert sum(chart["totals"]) == 7
    names = {series["name"] for series in chart["series"]}
    assert names == {"Genuine", "Genuine, checked before", "Suspected copy"}
    assert b"vendor/echarts.min.js" in response.content
    assert f"<tr><td>{checks.day2.isoformat()}</td>".encode() in response.content


def test_the_chart_counts_every_check_whatever_its_verdict(world):
    assert set(CHART_COLOURS) == set(VerdictKind)
    pending = codes.do_create_label_order(
        world.enterprise.actor, world.product, world.lot, 5, "open"
    )
    assert verify(world.code(pending, 0)).kind == "not_activated"
    assert verify(world.code(index=0)).kind == "genuine"
    trace.do_open_recall(world.enterprise.actor, [world.lot], **RECALL)
    assert verify(world.code(index=1)).kind == "recalled"
    chart = chart_of(client_for(world, "admin").get(reverse("scans:log")))
    assert (
        sum(chart["totals"])
        == ScanLog.objects.filter(organisation=world.enterprise.organisation).count()
        == 3
    )
    names = {series["name"] for series in chart["series"]}
    assert names == {"Genuine", "Not activated", "Recalled"}


def test_a_chart_per_month_has_every_month_of_the_range(world, checks):
    first = checks.day1.replace(day=1)
    chart = checks_per_day(ScanLog.objects.all(), first, first + dt.timedelta(days=70), "month")
    assert len(chart["days"]) == 3
    assert chart["days"][0] == first.strftime("%Y-%m")
    assert sum(chart["totals"]) == ScanLog.objects.count()


def copies_of(response) -> str:
    return response.content.decode().split('<table id="copies">')[1].split("</table>")[0]


@pytest.mark.parametrize(("role", "count"), [("admin", 2), ("outsider", 0), ("association", 2)])
def test_it_lists_the_suspected_copies_a_role_may_see(world, checks, role, count):
    table = copies_of(client_for(world, role).get(reverse("scans:copies")))
    assert table.count('<tr class="copy') == count


def test_it_shows_why_and_since_when_a_code_is_suspected(world, checks):
    table = copies_of(client_for(world, "staff").get(reverse("scans:copies")))
    assert "Checked too far apart too quickly" in table
    assert "Checked too often" in table
    assert f"#{world.open_order.pk}" in table
    assert "No. 3" in table  # the open order's third label (index 2)
    assert "No. 8" in table  # the scratch-off order's eighth
    assert world.public_serial(world.scratch_order, 7) in table
    assert at(checks.day2, 9).strftime("%Y-%m-%d %H:%M") in table  # first check


def test_it_filters_suspected_copies_by_product(world, checks):
    client = client_for(world, "association")
    only_biscuits = copies_of(
        client.get(reverse("scans:copies"), {"product": checks.outsider_product.pk})
    )
    assert "No suspected copies." in only_biscuits
    only_outsider = copies_of(
        client.get(reverse("scans:copies"), {"enterprise": world.outsider.organisation.pk})
    )
    assert "No suspected copies." in only_outsider


@pytest.mark.parametrize("page", ["scans:log", "scans:copies"])
def test_it_lists_in_the_same_number_of_queries_however_many_rows(world, checks, page):
    client = client_for(world, "association")
    with CaptureQueriesContext(connection) as before:
        client.get(reverse(page))
    for index in range(20, 23):  # three more codes, each checked three times: copies
        for minute in range(3):
            check(world.code(world.scratch_order, index), at(checks.day2, 13, minute))
    with CaptureQueriesContext(connection) as after:
        client.get(reverse(page))
    assert len(after) == len(before)

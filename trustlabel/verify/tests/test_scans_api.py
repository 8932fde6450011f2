"""The enterprise API of the scan log and the suspected copies."""

import pytest
from django.test import Client

from trustlabel.accounts.tests.roles import ROLES, headers_for
from trustlabel.verify.tests.test_portal_scans import Checks, record_checks

API = "/api/v1"
STATUS = {
    "anonymous": 401,
    "admin": 200,
    "staff": 200,
    "outsider": 200,
    "distributor": 403,
    "inspector": 403,
    "association": 200,
}


@pytest.fixture
def checks(world, settings) -> Checks:
    return record_checks(world, settings)


def get(world, role, path, params=None):
    return Client().get(API + path, params or {}, headers=headers_for(world, role))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/scans", "/suspected-copies"])
def test_it_lets_each_role_read_only_what_it_may(world, path, role):
    response = get(world, role, path)
    assert response.status_code == STATUS[role]
    if response.status_code != 200:
        assert response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "scans", "copies"),
    [("admin", 7, 2), ("staff", 7, 2), ("outsider", 1, 0), ("association", 9, 2)],
)
def test_it_shows_each_enterprise_only_its_own_checks(world, checks, role, scans, copies):
    assert get(world, role, "/scans").json()["count"] == scans
    assert get(world, role, "/suspected-copies").json()["count"] == copies


def test_it_describes_each_check(world, checks):
    body = get(world, "admin", "/scans", {"channel": "qr"}).json()
    (scan,) = body["items"]
    assert scan["verdict"] == "genuine_checked_before"
    assert scan["order_id"] == world.open_order.pk
    assert scan["product_id"] == world.product.pk
    assert scan["lot_id"] == world.lot.pk
    assert scan["enterprise_id"] == world.enterprise.organisation.pk
    assert scan["check_number"] == 2


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"verdict": "suspected_copy"}, 2),
        ({"channel": "wechat"}, 2),
        ({"day": "day1"}, 1),
        ({"day": "day2", "verdict": "genuine"}, 2),
        ({"limit": 2}, 7),  # the count is of all matches; the page holds two
    ],
)
def test_it_filters_and_pages_the_scan_log(world, checks, params, count):
    if day := params.pop("day", None):
        date = getattr(checks, day).isoformat()
        params = {**params, "date_from": date, "date_to": date}
    body = get(world, "admin", "/scans", params).json()
    assert body["count"] == count
    assert len(body["items"]) == min(count, params.get("limit", 50))


def test_it_lets_only_the_association_choose_an_enterprise(world, checks):
    outsider = world.outsider.organisation.pk
    assert get(world, "association", "/scans", {"enterprise": outsider}).json()["count"] == 1
    # For an enterprise the parameter means nothing: it sees its own checks.
    assert get(world, "admin", "/scans", {"enterprise": outsider}).json()["count"] == 7


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "__all__", "start date is after"),
        ({"date_from": "yesterday"}, "date_from", "Enter a valid date"),
        ({"verdict": "fake"}, "verdict", "Select a valid choice"),
        ({"channel": "pigeon"}, "channel", "Select a valid choice"),
        ({"product": "abc"}, "product", "Select a valid choice"),
    ],
)
def test_it_explains_a_bad_filter(world, checks, params, field, message):
    response = get(world, "admin", "/scans", params)
    assert response.status_code == 422
    assert message in " ".join(response.json()["errors"][field])


def test_it_hides_another_enterprises_product_from_the_filter(world, checks):
    response = get(world, "admin", "/scans", {"product": checks.outsider_product.pk})
    assert response.status_code == 422
    assert "product" in response.json()["errors"]


def test_it_describes_each_suspected_copy(world, checks):
    body = get(world, "staff", "/suspected-copies").json()
    by_reason = {item["reason"]: item for item in body["items"]}
    travel, count = by_reason["travel"], by_reason["count"]
    assert travel["order_id"] == world.open_order.pk
    assert travel["label_number"] == 3
    assert travel["public_serial"] is None
    assert travel["check_count"] == 2
    assert travel["reason_label"] == "Checked too far apart too quickly"
    assert count["order_id"] == world.scratch_order.pk
    assert count["public_serial"] == world.public_serial(world.scratch_order, 7)
    assert count["check_count"] == 3
    assert "serial" not in count  # internal serials would reveal volumes


def test_it_pages_and_filters_suspected_copies(world, checks):
    page = get(world, "admin", "/suspected-copies", {"limit": 1}).json()
    assert page["count"] == 2
    assert len(page["items"]) == 1
    second = get(world, "admin", "/suspected-copies", {"limit": 1, "offset": 1}).json()
    assert second["items"][0]["reason"] != page["items"][0]["reason"]
    by_product = get(world, "admin", "/suspected-copies", {"product": world.product.pk}).json()
    assert by_product["count"] == 2
    assert get(world, "admin", "/suspected-copies", {"limit": 0}).status_code == 422

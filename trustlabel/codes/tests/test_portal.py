"""Label order pages of the enterprise portal, tried as every role."""

import datetime as dt
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trustlabel.accounts.tests.roles import PORTAL_READ, ROLES, client_for
from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.codes.models import Export, LabelOrder

READ = PORTAL_READ
LIST = {**READ, "outsider": 200}
CREATE = {**LIST, "association": 403}

PAGES = {
    "orders": (lambda w: reverse("codes:orders"), LIST),
    "order-create": (lambda w: reverse("codes:order-create"), CREATE),
    "order": (lambda w: reverse("codes:order", args=[w.open_order.pk]), READ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_it_lets_each_role_open_only_its_pages(world, page, role):
    url, expected = PAGES[page]
    response = client_for(world, role).get(url(world))
    assert response.status_code == expected[role]
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("role", "sees_them"),
    [("admin", True), ("staff", True), ("outsider", False), ("association", True)],
)
def test_it_lists_only_visible_orders(world, role, sees_them):
    response = client_for(world, role).get(reverse("codes:orders"))
    link = reverse("codes:order", args=[world.scratch_order.pk]).encode()
    assert (link in response.content) is sees_them


def order_form(world, **changes) -> dict:
    return {
        "product": world.product.pk,
        "lot": world.lot.pk,
        "quantity": "250",
        "layout": "open",
        "activation": "commissioning",
        **changes,
    }


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_it_makes_a_label_order(world, role):
    response = client_for(world, role).post(reverse("codes:order-create"), order_form(world))
    order = LabelOrder.objects.get(quantity=250)
    assert response["Location"] == reverse("codes:order", args=[order.pk])
    assert (order.product, order.lot, order.layout) == (world.product, world.lot, "open")
    assert order.activation == "commissioning"
    # A fresh range, after the two orders of the fixture.
    assert order.serial_start == world.scratch_order.serial_end


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("association", 403),
        ("distributor", 403),
        ("inspector", 403),
        ("outsider", 200),  # the form answers: not one of your products
    ],
)
def test_it_refuses_orders_from_others(world, role, status):
    response = client_for(world, role).post(reverse("codes:order-create"), order_form(world))
    assert response.status_code == status
    assert LabelOrder.objects.count() == 2


def test_it_offers_only_the_enterprises_own_products_and_lots(world):
    other = catalog.do_create_product(world.outsider.organisation, "4006381333931", "别家饼干")
    response = client_for(world, "admin").get(
        reverse("codes:order-create"), {"product": world.product.pk}
    )
    assert world.product.name.encode() in response.content
    assert other.name.encode() not in response.content
    assert b"selected>" in response.content  # the product's page chose it already


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": "0"}, b"greater than or equal to 1"),
        ({"quantity": "100000001"}, b"between 1 and 100000000"),
        ({"quantity": "lots"}, b"Enter a whole number"),
        ({"layout": "sticker"}, b"Select a valid choice"),
        ({"lot": "999999"}, b"Select a valid choice"),
    ],
)
def test_it_explains_bad_orders_and_stores_nothing(world, changes, message):
    response = client_for(world, "admin").post(
        reverse("codes:order-create"), order_form(world, **changes)
    )
    assert response.status_code == 200
    assert message in response.content
    assert LabelOrder.objects.count() == 2


def test_it_refuses_a_lot_of_another_product(world):
    kettle = catalog.do_create_product(world.enterprise.organisation, "4006381333931", "电水壶")
    kettle_lot = catalog.do_create_lot(kettle, "K1", dt.date(2026, 3, 1), 100, "珠海一厂")
    response = client_for(world, "admin").post(
        reverse("codes:order-create"), order_form(world, lot=kettle_lot.pk)
    )
    assert b"The lot does not belong to this product." in response.content
    assert LabelOrder.objects.count() == 2


def test_it_refuses_a_lot_of_another_enterprise(world):
    other = catalog.do_create_product(world.outsider.organisation, "4006381333931", "别家饼干")
    other_lot = catalog.do_create_lot(other, "B1", dt.date(2026, 3, 1), 100, "别家工厂")
    response = client_for(world, "admin").post(
        reverse("codes:order-create"), order_form(world, lot=other_lot.pk)
    )
    assert b"Select a valid choice" in response.content
    assert LabelOrder.objects.count() == 2


def test_it_shows_an_order_with_its_serial_count_and_key_version(world):
    order = world.scratch_order
    response = client_for(world, "staff").get(reverse("codes:order", args=[order.pk]))
    assert b'id="serial-count">500<' in response.content
    assert f"v{order.key_version_id}".encode() in response.content
    assert b"Request export" not in response.content  # staff may look, not export
    assert b"http-equiv" not in response.content  # nothing in progress: no reloading


def request_export(client, order, fmt="csv"):
    return client.post(reverse("codes:export-request", args=[order.pk]), {"format": fmt})


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("staff", 403),
        ("outsider", 404),
        ("distributor", 403),
        ("inspector", 403),
        ("association", 403),
    ],
)
def test_it_lets_only_the_admin_request_an_export(world, role, status):
    response = request_export(client_for(world, role), world.open_order)
    assert response.status_code == status
    assert not Export.objects.exists()


def test_it_reloads_the_order_page_while_the_export_is_being_made(world):
    client = client_for(world, "admin")
    response = request_export(client, world.open_order)
    assert response["Location"] == reverse("codes:order", args=[world.open_order.pk])
    export = Export.objects.get()  # queued: the task starts once the request commits
    assert export.status == Export.Status.QUEUED
    page = client.get(response["Location"])
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b"Waiting" in page.content
    assert b'value="0" max="100"' in page.content


@pytest.mark.parametrize(("fmt", "message"), [("docx", b"Choose CSV or PDF."), ("", b"Choose")])
def test_it_explains_a_bad_export_format(world, fmt, message):
    client = client_for(world, "admin")
    response = request_export(client, world.open_order, fmt)
    page = client.get(response["Location"])
    assert message in page.content
    assert not Export.objects.exists()


def test_it_refuses_a_pdf_sheet_too_large_for_one_file(world, settings):
    settings.TRUSTLABEL_PDF_MAX_LABELS = 100
    client = client_for(world, "admin")
    page = client.get(request_export(client, world.open_order, "pdf")["Location"])
    assert b"export this order as CSV" in page.content
    assert not Export.objects.exists()


def test_it_hands_the_ready_file_to_the_admin_once(world, django_capture_on_commit_callbacks):
    client = client_for(world, "admin")
    order = world.scratch_order
    with django_capture_on_commit_callbacks(execute=True):
        request_export(client, order)
    export = Export.objects.get()
    assert export.status == Export.Status.READY
    page = client.get(reverse("codes:order", args=[order.pk]))
    download_url = reverse("codes:export-download", args=[export.pk])
    assert download_url.encode() in page.content
    assert b"http-equiv" not in page.content
    assert b'value="100" max="100"' in page.content

    staff = client_for(world, "staff")
    assert download_url.encode() not in staff.get(reverse("codes:order", args=[order.pk])).content
    for role, status in [("staff", 403), ("association", 403), ("outsider", 404)]:
        assert client_for(world, role).post(download_url).status_code == status

    response = client.post(download_url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    assert world.public_serial(order, 0) in text.replace(" ", "")
    export.refresh_from_db()
    assert export.status == Export.Status.DOWNLOADED

    again = client.post(download_url)
    assert again.status_code == 302
    page = client.get(again["Location"])
    assert b"already downloaded" in page.content


def test_it_refuses_a_download_by_get(world):
    response = client_for(world, "admin").get(reverse("codes:export-download", args=[1]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("codes:orders"),
        lambda w: reverse("catalog:product", args=[w.product.pk]),
        lambda w: reverse("catalog:lot", args=[w.lot.pk]),
    ],
)
def test_it_lists_orders_in_the_same_number_of_queries_however_many(world, url):
    client = client_for(world, "association")
    with CaptureQueriesContext(connection) as two_orders:
        client.get(url(world))
    for _ in range(3):
        codes.do_create_label_order(world.enterprise.actor, world.product, world.lot, 10, "open")
    with CaptureQueriesContext(connection) as five_orders:
        client.get(url(world))
    assert len(five_orders) == len(two_orders)

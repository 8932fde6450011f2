"""The JSON API of label orders and exports, tried as every role."""

import datetime as dt
import io
import zipfile

import pytest
from django.test import Client

from trustlabel.accounts.tests.roles import API_READ, ROLES, headers_for
from trustlabel.catalog import actions as catalog
from trustlabel.codes.models import Export, LabelOrder
from trustlabel.codes.tasks import make_export

API = "/api/v1"
READ = API_READ
LIST = {**READ, "outsider": 200}
# Exports: the enterprise's admin only; staff and the association may watch progress.
EXPORT = {**READ, "admin": 202, "staff": 403, "association": 403}


def post(path, data, headers):
    return Client().post(API + path, data, content_type="application/json", headers=headers)


def order_data(world, **changes) -> dict:
    return {
        "product_id": world.product.pk,
        "lot_id": world.lot.pk,
        "quantity": 250,
        "layout": "scratch",
        **changes,
    }


READS = {
    "orders": (lambda w: "/label-orders", LIST),
    "order": (lambda w: f"/label-orders/{w.open_order.pk}", READ),
    "exports": (lambda w: f"/label-orders/{w.open_order.pk}/exports", READ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", READS)
def test_it_lets_each_role_read_only_what_it_may(world, endpoint, role):
    path, expected = READS[endpoint]
    response = Client().get(API + path(world), headers=headers_for(world, role))
    assert response.status_code == expected[role]


@pytest.mark.parametrize(
    ("role", "count"), [("admin", 2), ("staff", 2), ("outsider", 0), ("association", 2)]
)
def test_it_lists_only_visible_orders(world, role, count):
    body = Client().get(f"{API}/label-orders", headers=headers_for(world, role)).json()
    assert body["count"] == count


def test_it_describes_an_order(world):
    order = world.scratch_order
    body = (
        Client()
        .get(f"{API}/label-orders/{order.pk}", headers=headers_for(world, "association"))
        .json()
    )
    assert body["quantity"] == 500
    assert body["layout"] == "scratch"
    assert body["key_version"] == order.key_version_id
    assert body["product_id"] == world.product.pk
    assert body["enterprise_id"] == world.enterprise.organisation.pk


@pytest.mark.parametrize("role", ROLES)
def test_it_takes_orders_from_the_enterprise_only(world, role):
    response = post("/label-orders", order_data(world), headers_for(world, role))
    expected = {
        **READ,
        "admin": 201,
        "staff": 201,
        "association": 403,
        "outsider": 404,  # not its product, and it may not know the product exists
    }[role]
    assert response.status_code == expected
    assert LabelOrder.objects.count() == (3 if expected == 201 else 2)
    if expected == 201:
        assert response.json()["quantity"] == 250


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": 0}, "The quantity must be between 1 and 100000000."),
        ({"quantity": -1}, "The quantity must be between 1 and 100000000."),
        ({"quantity": 100_000_001}, "The quantity must be between 1 and 100000000."),
        ({"quantity": 10**30}, "The quantity must be between 1 and 100000000."),
        ({"layout": "sticker"}, "Choose the open or the scratch-off layout."),
    ],
)
def test_it_explains_bad_orders_and_stores_nothing(world, changes, message):
    response = post("/label-orders", order_data(world, **changes), headers_for(world, "admin"))
    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == [message]
    assert LabelOrder.objects.count() == 2


@pytest.mark.parametrize("changes", [{"quantity": "many"}, {"product_id": None}, {"lot_id": []}])
def test_it_refuses_ill_typed_orders_with_422(world, changes):
    response = post("/label-orders", order_data(world, **changes), headers_for(world, "admin"))
    assert response.status_code == 422
    assert LabelOrder.objects.count() == 2


def test_it_refuses_a_lot_of_another_product(world):
    kettle = catalog.do_create_product(world.enterprise.organisation, "4006381333931", "电水壶")
    kettle_lot = catalog.do_create_lot(kettle, "K1", dt.date(2026, 3, 1), 100, "珠海一厂")
    response = post(
        "/label-orders", order_data(world, lot_id=kettle_lot.pk), headers_for(world, "admin")
    )
    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == ["The lot does not belong to this product."]
    assert LabelOrder.objects.count() == 2


def test_it_hides_a_lot_of_another_enterprise(world):
    other = catalog.do_create_product(world.outsider.organisation, "4006381333931", "别家饼干")
    other_lot = catalog.do_create_lot(other, "B1", dt.date(2026, 3, 1), 100, "别家工厂")
    response = post(
        "/label-orders", order_data(world, lot_id=other_lot.pk), headers_for(world, "admin")
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No such lot."}


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_the_admin_request_an_export(world, role):
    response = post(
        f"/label-orders/{world.open_order.pk}/exports", {"format": "csv"}, headers_for(world, role)
    )
    assert response.status_code == EXPORT[role]
    assert Export.objects.exists() is (EXPORT[role] == 202)
    if EXPORT[role] == 403:
        assert response.json()["detail"] == "You are not allowed to do this."


@pytest.mark.parametrize(
    ("fmt", "message"),
    [("docx", "Choose CSV or PDF."), ("", "Choose CSV or PDF.")],
)
def test_it_explains_a_bad_export_format(world, fmt, message):
    response = post(
        f"/label-orders/{world.open_order.pk}/exports",
        {"format": fmt},
        headers_for(world, "admin"),
    )
    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == [message]
    assert not Export.objects.exists()


def test_it_reports_progress_and_hands_the_file_over_once(
    world, django_capture_on_commit_callbacks
):
    admin = headers_for(world, "admin")
    order = world.open_order
    with django_capture_on_commit_callbacks(execute=False):
        queued = post(f"/label-orders/{order.pk}/exports", {"format": "csv"}, admin).json()
    assert queued["status"] == "queued"
    assert queued["progress_percent"] == 0
    assert queued["download_url"] is None

    # Made by the task; then everyone who may read the order may watch its progress.
    make_export.call(queued["id"])
    for role, status in {**READ, "admin": 200}.items():
        response = Client().get(f"{API}/exports/{queued['id']}", headers=headers_for(world, role))
        assert response.status_code == status
    ready = Client().get(f"{API}/exports/{queued['id']}", headers=admin).json()
    assert ready["status"] == "ready"
    assert ready["progress_percent"] == 100
    assert ready["download_url"].endswith(f"/api/v1/exports/{queued['id']}/download")

    path = f"/exports/{queued['id']}/download"
    refused = {**EXPORT, "admin": None}
    for role, status in refused.items():
        if status is not None:
            assert post(path, {}, headers_for(world, role)).status_code == status
    response = post(path, {}, admin)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    assert world.code(order, 0) in text.replace(" ", "")
    assert world.code(order, order.quantity - 1) in text.replace(" ", "")

    again = post(path, {}, admin)
    assert again.status_code == 422
    assert "already downloaded" in str(again.json()["errors"])
    assert Client().get(f"{API}/exports/{queued['id']}", headers=admin).json()["status"] == (
        "downloaded"
    )


def test_it_refuses_to_hand_over_a_file_that_is_not_ready(world):
    admin = headers_for(world, "admin")
    queued = post(f"/label-orders/{world.open_order.pk}/exports", {"format": "csv"}, admin)
    response = post(f"/exports/{queued.json()['id']}/download", {}, admin)
    assert response.status_code == 422
    assert "not ready" in str(response.json()["errors"])

"""The catalogue's JSON API, tried as every role."""

import pytest
from django.test import Client

from trustlabel.accounts.tests.roles import API_READ, ROLES, headers_for
from trustlabel.catalog.models import InspectionReport, Lot, Product
from trustlabel.conftest import pdf_upload, report_fields

API = "/api/v1"
# Reading the enterprise's catalogue: credentials needed, distributors and inspectors
# refused, the outsider told the object does not exist, the association reads.
READ = API_READ
LIST = {**READ, "outsider": 200}
WRITE = {**READ, "admin": 201, "staff": 201, "association": 403}

PRODUCT = {
    "gtin": "4006381333931",
    "name": "电水壶",
    "name_en": "Kettle",
    "specification": "1.7 L",
}
LOT = {
    "lot_number": "L20260401",
    "production_date": "2026-04-01",
    "expiry_date": "2036-04-01",
    "quantity": 2000,
    "factory": "珠海二厂",
}


READS = {
    "products": (lambda w: "/products", LIST),
    "product": (lambda w: f"/products/{w.product.pk}", READ),
    "lots": (lambda w: f"/products/{w.product.pk}/lots", READ),
    "reports": (lambda w: "/reports", LIST),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", READS)
def test_it_lets_each_role_read_only_what_it_may(world, endpoint, role):
    path, expected = READS[endpoint]
    response = Client().get(API + path(world), headers=headers_for(world, role))
    assert response.status_code == expected[role]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code != 200:
        assert response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "count"), [("admin", 1), ("staff", 1), ("outsider", 0), ("association", 1)]
)
def test_it_lists_only_visible_products(world, role, count):
    body = Client().get(f"{API}/products", headers=headers_for(world, role)).json()
    assert body["count"] == count
    if count:
        item = body["items"][0]
        assert item["gtin"] == "06901234567892"
        assert item["enterprise_id"] == world.enterprise.organisation.pk
        assert item["image_url"] is None


def test_it_lists_reports_of_a_lot(world):
    headers = headers_for(world, "association")
    body = Client().get(f"{API}/reports", {"lot": world.lot.pk}, headers=headers).json()
    assert [r["report_number"] for r in body["items"]] == ["JY-2026-0042"]
    assert body["items"][0]["product_id"] == world.product.pk
    assert Client().get(f"{API}/reports", {"lot": 0}, headers=headers).json()["count"] == 0


def test_it_says_which_object_is_missing(world):
    response = Client().get(f"{API}/products/999999", headers=headers_for(world, "admin"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such product."}


@pytest.mark.parametrize("role", ROLES)
def test_it_registers_products_for_enterprises_only(world, role):
    headers = headers_for(world, role)
    response = Client().post(
        f"{API}/products", PRODUCT, content_type="application/json", headers=headers
    )
    expected = {**WRITE, "outsider": 201}[role]
    assert response.status_code == expected
    stored = Product.objects.filter(gtin="04006381333931").first()
    if expected == 201:
        assert response.json()["gtin"] == "04006381333931"
        owner = world.outsider if role == "outsider" else world.enterprise
        assert stored.organisation == owner.organisation
    else:
        assert stored is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"gtin": "4006381333932"}, "__all__", "check digit is wrong"),
        ({"gtin": "not a gtin"}, "__all__", "A GTIN has 8, 12, 13 or 14 digits"),
        ({"gtin": "6901234567892"}, "gtin", "already exists"),
        ({"name": "  "}, "name", "This field cannot be blank"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
    ],
)
def test_it_explains_bad_products_and_stores_nothing(world, changes, field, message):
    response = Client().post(
        f"{API}/products",
        {**PRODUCT, **changes},
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid."
    assert any(message in text for text in body["errors"][field])
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    "body", ['{"gtin": "4006381333931"}', "not json", '{"gtin": 4006381333931, "name": []}']
)
def test_it_answers_malformed_json_with_422(world, body):
    response = Client().post(
        f"{API}/products",
        body,
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert Product.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_it_records_lots_for_the_enterprise_only(world, role):
    response = Client().post(
        f"{API}/products/{world.product.pk}/lots",
        LOT,
        content_type="application/json",
        headers=headers_for(world, role),
    )
    assert response.status_code == WRITE[role]
    created = Lot.objects.filter(lot_number="L20260401").exists()
    assert created is (WRITE[role] == 201)
    if created:
        assert response.json()["product_id"] == world.product.pk


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": 0}, "greater than or equal to 1"),
        ({"quantity": -5}, "greater than or equal to"),
        ({"expiry_date": "2025-01-01"}, "cannot be before the production date"),
        ({"lot_number": "L20260301"}, "already exists"),
        ({"factory": ""}, "cannot be blank"),
    ],
)
def test_it_explains_bad_lots_and_stores_nothing(world, changes, message):
    response = Client().post(
        f"{API}/products/{world.product.pk}/lots",
        {**LOT, **changes},
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 422
    assert message in str(response.json()["errors"])
    assert Lot.objects.count() == 1


def test_it_refuses_a_lot_with_an_unreadable_date(world):
    response = Client().post(
        f"{API}/products/{world.product.pk}/lots",
        {**LOT, "production_date": "2026-13-45"},
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 422
    assert Lot.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_it_takes_report_uploads_from_the_enterprise_only(world, role):
    response = Client().post(
        f"{API}/lots/{world.lot.pk}/reports", report_fields(), headers=headers_for(world, role)
    )
    assert response.status_code == WRITE[role]
    stored = InspectionReport.objects.filter(report_number="JY-2026-0099").first()
    assert (stored is not None) is (WRITE[role] == 201)
    if stored:
        assert response.json()["sha256"] == stored.sha256
        assert stored.lot == world.lot


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"file": pdf_upload("fake.pdf", b"MZ not a pdf")}, "not a PDF"),
        ({"file": pdf_upload("report.exe")}, "File extension"),
        ({"result": "maybe"}, "not a valid choice"),
        ({"report_number": ""}, "cannot be blank"),
    ],
)
def test_it_explains_bad_reports_and_stores_nothing(world, changes, message):
    response = Client().post(
        f"{API}/lots/{world.lot.pk}/reports",
        report_fields(**changes),
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 422
    assert message in str(response.json()["errors"])
    assert InspectionReport.objects.count() == 1


@pytest.mark.parametrize("missing", ["file", "inspected_on"])
def test_it_refuses_an_upload_with_a_part_missing(world, missing):
    data = report_fields()
    del data[missing]
    response = Client().post(
        f"{API}/lots/{world.lot.pk}/reports", data, headers=headers_for(world, "admin")
    )
    assert response.status_code == 422
    assert InspectionReport.objects.count() == 1


def test_it_survives_a_malformed_multipart_body(world):
    response = Client().post(
        f"{API}/lots/{world.lot.pk}/reports",
        b"--oops\r\nContent-Disposition: form-data; name=\r\n\r\n",
        content_type="multipart/form-data; boundary=oops",
        headers=headers_for(world, "admin"),
    )
    assert 400 <= response.status_code < 500
    assert InspectionReport.objects.count() == 1


def test_it_accepts_a_signed_in_session_but_checks_csrf_on_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.enterprise.user)
    assert client.get(f"{API}/products").status_code == 200
    response = client.post(f"{API}/products", PRODUCT, content_type="application/json")
    assert response.status_code == 403
    assert not Product.objects.filter(gtin="04006381333931").exists()
    token = client.get("/portal/catalog/products/new/").cookies["csrftoken"].value
    response = client.post(
        f"{API}/products", PRODUCT, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201


def test_it_refuses_a_revoked_or_made_up_key(world):
    bad = {"Authorization": "Bearer tl_made-up"}
    assert Client().get(f"{API}/products", headers=bad).status_code == 401


def test_it_refuses_a_product_image_over_5_mb(world):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from trustlabel.catalog.actions import do_create_product
    from trustlabel.catalog.models import Product

    huge = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), "image/png")
    with pytest.raises(ValidationError):
        do_create_product(world.enterprise.organisation, "06901234567908", "x", image=huge)
    assert not Product.objects.filter(gtin="06901234567908").exists()

"""Catalogue pages of the enterprise portal, tried as every role."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from trustlabel.accounts.tests.roles import PORTAL_READ, ROLES, client_for
from trustlabel.catalog import actions
from trustlabel.catalog.models import InspectionReport, Lot, Product
from trustlabel.conftest import MINIMAL_PDF, pdf_upload, report_fields

# Who may open a page about the enterprise's own catalogue: anonymous visitors are sent
# to sign in, the outsider finds nothing, distributors and inspectors are refused, and
# the association reads.
READ = PORTAL_READ
# Pages that change the enterprise's catalogue: the association only reads.
WRITE = {**READ, "association": 403}
# Pages without an object of the enterprise's: the outsider sees its own (empty) one.
LIST = {**READ, "outsider": 200}
CREATE = {**WRITE, "outsider": 200}

PAGES = {
    "products": (lambda w: reverse("catalog:products"), LIST),
    "product": (lambda w: reverse("catalog:product", args=[w.product.pk]), READ),
    "product-create": (lambda w: reverse("catalog:product-create"), CREATE),
    "product-edit": (lambda w: reverse("catalog:product-edit", args=[w.product.pk]), WRITE),
    "lot-create": (lambda w: reverse("catalog:lot-create", args=[w.product.pk]), WRITE),
    "lot": (lambda w: reverse("catalog:lot", args=[w.lot.pk]), READ),
    "report-create": (lambda w: reverse("catalog:report-create", args=[w.lot.pk]), WRITE),
    "reports": (lambda w: reverse("catalog:reports"), LIST),
    "report-download": (lambda w: reverse("catalog:report-download", args=[w.report.pk]), READ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_it_lets_each_role_open_only_its_pages(world, page, role):
    url, expected = PAGES[page]
    response = client_for(world, role).get(url(world))
    assert response.status_code == expected[role]
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    if response.status_code == 403:
        assert b"Not allowed" in response.content


@pytest.mark.parametrize(
    ("role", "sees_it"),
    [("admin", True), ("staff", True), ("outsider", False), ("association", True)],
)
def test_it_lists_only_the_products_a_role_may_see(world, role, sees_it):
    response = client_for(world, role).get(reverse("catalog:products"))
    assert (world.product.gtin.encode() in response.content) is sees_it
    reports = client_for(world, role).get(reverse("catalog:reports"))
    assert (b"JY-2026-0042" in reports.content) is sees_it


def test_it_lets_the_association_filter_by_enterprise(world):
    client = client_for(world, "association")
    outsider = world.outsider.organisation.pk
    assert b"Enterprise" in client.get(reverse("catalog:products")).content
    only_outsider = client.get(reverse("catalog:products"), {"enterprise": outsider})
    assert world.product.gtin.encode() not in only_outsider.content
    only_maker = client.get(
        reverse("catalog:products"), {"enterprise": world.enterprise.organisation.pk}
    )
    assert world.product.gtin.encode() in only_maker.content


def image_upload(name: str = "kettle.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def product_form(**changes) -> dict:
    return {
        "gtin": "4006381333931",
        "name": "电水壶",
        "name_en": "Kettle",
        "specification": "1.7 L",
        "standard_number": "GB 4706.19-2008",
        "standard_name": "",
        **changes,
    }


@pytest.mark.parametrize("role", ["admin", "staff", "outsider"])
def test_it_registers_a_product_with_an_image_for_the_signed_in_enterprise(world, role):
    client = client_for(world, role)
    data = product_form(image=image_upload())
    response = client.post(reverse("catalog:product-create"), data)
    product = Product.objects.get(gtin="04006381333931")
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:product", args=[product.pk])
    own = world.outsider if role == "outsider" else world.enterprise
    assert product.organisation == own.organisation
    assert product.image.name.startswith("products/")
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("distributor", 403), ("inspector", 403), ("association", 403)],
)
def test_it_refuses_product_registration_to_others(world, role, status):
    response = client_for(world, role).post(reverse("catalog:product-create"), product_form())
    assert response.status_code == status
    assert not Product.objects.filter(gtin="04006381333931").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gtin": "4006381333932"}, b"check digit is wrong"),
        ({"gtin": "12ab"}, b"A GTIN has 8, 12, 13 or 14 digits"),
        ({"gtin": "6901234567892"}, b"already exists"),
        ({"name": ""}, b"This field is required"),
        ({"image": SimpleUploadedFile("x.png", b"not an image")}, b"Upload a valid image"),
    ],
)
def test_it_explains_bad_product_input_and_stores_nothing(world, changes, message):
    before = Product.objects.count()
    response = client_for(world, "admin").post(
        reverse("catalog:product-create"), product_form(**changes)
    )
    assert response.status_code == 200
    assert message in response.content
    assert Product.objects.count() == before


def test_it_edits_a_product(world):
    data = {
        "name": "变频空调 二代",
        "name_en": "Inverter AC II",
        "specification": "KFR-35GW/2",
        "standard_number": "GB/T 7725-2022",
        "standard_name": "房间空气调节器",
    }
    url = reverse("catalog:product-edit", args=[world.product.pk])
    form = client_for(world, "staff").get(url)
    assert "变频空调".encode() in form.content  # the form starts from the current values
    response = client_for(world, "staff").post(url, data)
    assert response.status_code == 302
    world.product.refresh_from_db()
    assert world.product.name == "变频空调 二代"
    assert world.product.gtin == "06901234567892"


@pytest.mark.parametrize(("role", "status"), [("outsider", 404), ("association", 403)])
def test_it_refuses_edits_from_outside_the_enterprise(world, role, status):
    url = reverse("catalog:product-edit", args=[world.product.pk])
    response = client_for(world, role).post(url, {"name": "假冒"})
    assert response.status_code == status
    world.product.refresh_from_db()
    assert world.product.name == "变频空调"


def lot_form(**changes) -> dict:
    return {
        "lot_number": "L20260401",
        "production_date": "2026-04-01",
        "expiry_date": "2036-04-01",
        "quantity": "2000",
        "factory": "珠海二厂",
        **changes,
    }


def test_it_records_a_lot(world):
    url = reverse("catalog:lot-create", args=[world.product.pk])
    response = client_for(world, "staff").post(url, lot_form())
    lot = Lot.objects.get(lot_number="L20260401")
    assert response["Location"] == reverse("catalog:lot", args=[lot.pk])
    assert lot.product == world.product
    assert lot.production_date == dt.date(2026, 4, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expiry_date": "2025-01-01"}, b"cannot be before the production date"),
        ({"quantity": "0"}, b"greater than or equal to 1"),
        ({"quantity": "many"}, b"Enter a whole number"),
        ({"production_date": "2026-13-45"}, b"Enter a valid date"),
        ({"lot_number": "L20260301"}, b"already exists"),
    ],
)
def test_it_explains_bad_lot_input_and_stores_nothing(world, changes, message):
    url = reverse("catalog:lot-create", args=[world.product.pk])
    response = client_for(world, "admin").post(url, lot_form(**changes))
    assert response.status_code == 200
    assert message in response.content
    assert Lot.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("outsider", 404), ("association", 403), ("inspector", 403)],
)
def test_it_refuses_lots_from_others(world, role, status):
    url = reverse("catalog:lot-create", args=[world.product.pk])
    assert client_for(world, role).post(url, lot_form()).status_code == status
    assert Lot.objects.count() == 1


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_it_attaches_an_inspection_report_and_serves_it_back(world, role):
    client = client_for(world, role)
    url = reverse("catalog:report-create", args=[world.lot.pk])
    response = client.post(url, report_fields())
    assert response["Location"] == reverse("catalog:lot", args=[world.lot.pk])
    report = InspectionReport.objects.get(report_number="JY-2026-0099")
    assert report.lot == world.lot
    download = client.get(reverse("catalog:report-download", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == MINIMAL_PDF


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"file": pdf_upload("fake.pdf", b"GIF89a not a pdf")}, b"not a PDF"),
        ({"file": pdf_upload("report.txt")}, b"File extension"),
        ({"file": ""}, b"This field is required"),
        ({"result": "maybe"}, b"Select a valid choice"),
        ({"inspected_on": "yesterday"}, b"Enter a valid date"),
    ],
)
def test_it_explains_bad_reports_and_stores_nothing(world, changes, message):
    url = reverse("catalog:report-create", args=[world.lot.pk])
    response = client_for(world, "admin").post(url, report_fields(**changes))
    assert response.status_code == 200
    assert message in response.content
    assert InspectionReport.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"), [("outsider", 404), ("association", 403), ("distributor", 403)]
)
def test_it_refuses_reports_from_others(world, role, status):
    url = reverse("catalog:report-create", args=[world.lot.pk])
    assert client_for(world, role).post(url, report_fields()).status_code == status
    assert InspectionReport.objects.count() == 1


def test_it_shows_a_lot_with_its_reports_and_orders(world):
    response = client_for(world, "association").get(reverse("catalog:lot", args=[world.lot.pk]))
    assert b"JY-2026-0042" in response.content
    assert f"#{world.open_order.pk}".encode() in response.content
    assert b"Upload a report" not in response.content  # the association only reads


def test_it_keeps_a_product_of_another_enterprise_out_of_reach(world):
    other = actions.do_create_product(world.outsider.organisation, "4006381333931", "别家饼干")
    response = client_for(world, "admin").get(reverse("catalog:product", args=[other.pk]))
    assert response.status_code == 404

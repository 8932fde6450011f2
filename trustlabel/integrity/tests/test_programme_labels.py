"""Labels ordered under a programme: only for approved products, within the quota, and
printed with the programme's mark."""

import io
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import translation

from trustlabel.accounts.tests.roles import ROLES, client_for, headers_for, status_of
from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.codes import exports
from trustlabel.codes.models import LabelOrder
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions.certificates import do_revoke_certificate
from trustlabel.integrity.labels import approved_programmes, remaining_quota
from trustlabel.integrity.tests.conftest import approved_application, make_programme, png_upload

QUOTA = 1500


@pytest.fixture
def programme(world):
    """The integrity conftest's programme, with a small quota and a mark."""
    return make_programme(world.association.actor, label_quota=QUOTA, mark=png_upload())


@pytest.fixture
def covered(world, programme, reviewers):
    return approved_application(world, programme, reviewers)


def order(world, quantity, programme=None, product=None, lot=None):
    return codes.do_create_label_order(
        world.enterprise.actor,
        product or world.product,
        lot or world.lot,
        quantity,
        "open",
        "issue",
        programme=programme,
    )


# --- the rule -------------------------------------------------------------------------------


def test_an_approved_product_is_ordered_under_the_programme(world, programme, covered):
    made = order(world, 1000, programme)
    assert made.programme == programme
    assert remaining_quota(programme, world.enterprise.organisation.pk) == QUOTA - 1000
    assert order(world, 500, programme).quantity == 500  # exactly the rest
    assert remaining_quota(programme, world.enterprise.organisation.pk) == 0
    # Orders without the programme do not count against it.
    assert order(world, 5000).programme is None


def test_an_order_beyond_the_quota_says_how_many_remain(world, programme, covered):
    order(world, 1000, programme)
    with pytest.raises(ValidationError) as refused:
        order(world, 600, programme)
    assert refused.value.message_dict == {
        "quantity": [
            f"{programme.name_en} allows your enterprise 1500 labels; only 500 labels remain."
        ]
    }
    assert LabelOrder.objects.filter(programme=programme).count() == 1
    order(world, 499, programme)
    with pytest.raises(ValidationError, match="only 1 label remains"):
        order(world, 2, programme)


def test_a_product_not_approved_is_refused(world, programme, covered):
    other = catalog.do_create_product(world.enterprise.organisation, "6901234567809", "除湿机")
    lot = catalog.do_create_lot(other, "L1", world.lot.production_date, 100, "珠海一厂")
    with pytest.raises(ValidationError) as refused:
        order(world, 10, programme, product=other, lot=lot)
    assert refused.value.message_dict == {
        "programme": [f"除湿机 is not approved in {programme.name_en}."]
    }
    assert not LabelOrder.objects.filter(programme=programme).exists()


def test_nothing_is_approved_before_the_review_ends(world, programme):
    maker = world.enterprise.actor
    application = flow.do_start_application(maker, programme, [world.product])
    with pytest.raises(ValidationError, match="is not approved in"):
        order(world, 10, programme)
    assert not approved_programmes(world.enterprise.organisation.pk).exists()
    assert application.status == "draft"


def test_a_revoked_certificate_stops_programme_orders(world, programme, covered):
    order(world, 10, programme)
    do_revoke_certificate(world.association.actor, covered.certificate, "抽检不合格")
    with pytest.raises(ValidationError, match="is not approved in"):
        order(world, 10, programme)


def test_another_enterprise_cannot_order_under_the_makers_approval(world, programme, covered):
    outsider = world.outsider
    product = catalog.do_create_product(outsider.organisation, "6901234567816", "饼干")
    lot = catalog.do_create_lot(product, "B1", world.lot.production_date, 100, "一厂")
    with pytest.raises(ValidationError, match="is not approved in"):
        codes.do_create_label_order(outsider.actor, product, lot, 10, "open", programme=programme)


@pytest.mark.django_db(transaction=True)
def test_two_orders_at_once_cannot_both_take_the_last_labels(settings):
    """The programme's row lock: on PostgreSQL two workers ordering the same remaining
    labels at the same moment get one order and one refusal."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the race needs PostgreSQL")
    from trustlabel.accounts import actions as accounts
    from trustlabel.accounts.access import Actor
    from trustlabel.accounts.models import User
    from trustlabel.conftest import PASSWORD, build_world

    world = build_world()
    programme = make_programme(world.association.actor, label_quota=QUOTA, mark=png_upload())
    second = accounts.do_create_user(
        "reviewer-2", world.association.organisation, role=User.Role.STAFF, password=PASSWORD
    )
    approved_application(world, programme, (world.association.actor, Actor.of_user(second)))
    order(world, 1000, programme)

    start, results = threading.Barrier(2), []

    def attempt():
        try:
            translation.activate("en")  # a new thread starts in the default language
            start.wait()
            results.append(order(world, 400, programme).pk)
        except ValidationError as e:
            results.append(e.message_dict["quantity"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(type, results), key=str) == [int, str]
    assert "only 100 labels remain" in next(r for r in results if isinstance(r, str))
    assert remaining_quota(programme, world.enterprise.organisation.pk) == 100


# --- the order page -------------------------------------------------------------------------

NEW = "/portal/codes/orders/new/"


def form(world, programme=None, quantity=100) -> dict:
    data = {
        "product": world.product.pk,
        "lot": world.lot.pk,
        "quantity": quantity,
        "layout": "open",
        "activation": "commissioning",
    }
    if programme is not None:
        data["programme"] = programme.pk
    return data


def test_the_order_page_offers_the_programmes_the_enterprise_is_approved_in(
    world, programme, covered
):
    client = client_for(world, "admin")
    html = client.get(NEW).content.decode()
    assert 'name="programme"' in html
    assert f'value="{programme.pk}"' in html
    assert f"{programme.name_en} (1500 labels left)" in html
    # The outsider has no approval: no programme to choose.
    assert 'name="programme"' not in client_for(world, "outsider").get(NEW).content.decode()


def test_the_order_page_offers_only_the_products_programmes(world, programme, covered):
    other = catalog.do_create_product(world.enterprise.organisation, "6901234567809", "除湿机")
    client = client_for(world, "admin")
    html = client.get(NEW, {"product": other.pk}).content.decode()
    assert 'name="programme"' not in html
    html = client.get(NEW, {"product": world.product.pk}).content.decode()
    assert f'value="{programme.pk}"' in html


@pytest.mark.parametrize("role", ROLES)
def test_ordering_under_a_programme_as_every_role(world, programme, covered, role):
    expected = status_of(role, (302, 302, 302, 200, 403, 403, 403))
    response = client_for(world, role).post(NEW, form(world, programme))
    assert response.status_code == expected
    made = LabelOrder.objects.filter(programme=programme)
    assert made.count() == (1 if expected == 302 and role != "anonymous" else 0)
    if role == "outsider":  # its own order form: the maker's product is not its to choose
        assert "Select a valid choice" in response.content.decode()


def test_the_order_page_shows_the_programme_and_its_refusals(world, programme, covered):
    client = client_for(world, "admin")
    response = client.post(NEW, form(world, programme, quantity=QUOTA + 1))
    assert response.status_code == 200
    html = response.content.decode()
    assert "only 1500 labels remain" in html
    response = client.post(NEW, form(world, programme, quantity=200))
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert 'id="programme"' in detail and programme.name_en in detail
    assert programme.mark.url in detail
    other = catalog.do_create_product(world.enterprise.organisation, "6901234567809", "除湿机")
    lot = catalog.do_create_lot(other, "L1", world.lot.production_date, 100, "珠海一厂")
    data = {**form(world, programme), "product": other.pk, "lot": lot.pk}
    html = client.post(NEW, data).content.decode()
    assert f"除湿机 is not approved in {programme.name_en}." in html


def test_the_order_page_names_the_programme_in_chinese(world, programme, covered):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.enterprise.user)
    html = client.get(NEW).content.decode()
    assert programme.name in html and programme.name_en not in html
    response = client.post(NEW, form(world, programme, quantity=QUOTA + 1))
    assert response["Content-Language"] == "zh-hans"
    assert programme.name in response.content.decode()


def test_an_order_without_a_programme_shows_none(world, covered):
    detail = client_for(world, "admin").get(f"/portal/codes/orders/{world.open_order.pk}/")
    assert 'id="programme"' not in detail.content.decode()


# --- the API --------------------------------------------------------------------------------

API = "/api/v1/label-orders"


def api_order(client, world, role, **changes):
    body = {
        "product_id": world.product.pk,
        "lot_id": world.lot.pk,
        "quantity": 100,
        "layout": "open",
        **changes,
    }
    return client.post(API, body, content_type="application/json", headers=headers_for(world, role))


def test_the_api_orders_under_a_programme(world, programme, covered, client):
    response = api_order(client, world, "admin", programme_id=programme.pk)
    assert response.status_code == 201, response.json()
    assert response.json()["programme_id"] == programme.pk
    plain = api_order(client, world, "admin")
    assert plain.json()["programme_id"] is None
    too_many = api_order(client, world, "admin", programme_id=programme.pk, quantity=QUOTA)
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == {
        "quantity": [
            f"{programme.name_en} allows your enterprise 1500 labels; only 1400 labels remain."
        ]
    }
    unknown = api_order(client, world, "admin", programme_id=999999)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "No such label programme."}


@pytest.mark.parametrize("role", ROLES)
def test_the_api_programme_order_as_every_role(world, programme, covered, client, role):
    expected = status_of(role, (401, 201, 201, 404, 403, 403, 403))
    response = api_order(client, world, role, programme_id=programme.pk)
    assert response.status_code == expected
    assert LabelOrder.objects.filter(programme=programme).count() == (1 if expected == 201 else 0)


# --- the label sheet ------------------------------------------------------------------------


def images_per_page(data: bytes) -> list[int]:
    """How many images each page draws, as a PDF reader finds them."""
    pdf = pdfium.PdfDocument(data)
    return [len(list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))) for page in pdf]


def test_the_label_sheet_prints_the_mark_on_every_label(world, programme, covered, settings):
    made = order(world, 30, programme)
    out = io.BytesIO()
    exports.write_pdf(LabelOrder.objects.get(pk=made.pk), out)
    data = out.getvalue()
    assert images_per_page(data) == [24, 6]
    # The image is stored once and drawn on each label.
    assert data.count(b"/Subtype /Image") == 1
    # The QR codes still read beside it.
    pdf = pdfium.PdfDocument(data)
    image = pdf[1].render(scale=300 / 72).to_pil()
    links = sorted(b.text for b in zxingcpp.read_barcodes(image))
    assert len(links) == 6
    assert all(link.startswith(f"{settings.TRUSTLABEL_BASE_URL}/01/") for link in links)


def test_a_sheet_without_a_programme_or_a_mark_has_no_image(world, reviewers):
    out = io.BytesIO()
    exports.write_pdf(order(world, 3), out)
    assert images_per_page(out.getvalue()) == [0]
    bare = make_programme(world.association.actor, code="qm-2026", kind="quality_month")
    approved_application(world, bare, reviewers)
    out = io.BytesIO()
    exports.write_pdf(order(world, 3, bare), out)
    assert images_per_page(out.getvalue()) == [0]

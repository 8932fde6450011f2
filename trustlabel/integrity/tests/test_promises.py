"""What the consumer sees of a maker's promises on a check's page, and the reports of
promises not kept: stored from the page's form, listed in the portal per role."""

import datetime as dt
import re

import pytest
from django.core import signing
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone

from trustlabel.accounts.tests.roles import ROLES, client_for, status_of
from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.integrity import promises as promise_module
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions.certificates import do_revoke_certificate
from trustlabel.integrity.actions.promises import do_report_broken_promise
from trustlabel.integrity.models import PromiseReport
from trustlabel.integrity.promises import promises_for, report_token
from trustlabel.integrity.tests.conftest import (
    STATEMENTS,
    approved_application,
    make_programme,
    png_upload,
)
from trustlabel.integrity.views import promises as promise_views
from trustlabel.verify.core import requester_hash
from trustlabel.verify.ratelimit import Limit


@pytest.fixture
def marked(world, programme):
    return flow.do_save_programme(world.association.actor, programme, mark=png_upload())


@pytest.fixture
def covered(world, marked, reviewers):
    """The world's product, approved in a programme with a mark."""
    return approved_application(world, marked, reviewers)


def check_page(client, world, index: int):
    return client.get(f"/01/{world.product.gtin}/21/{world.code(index=index)}")


def verdict_of(html: str) -> str:
    return re.search(r'data-verdict="([^"]+)"', html).group(1)


def token_of(html: str) -> str:
    form = html[html.index('<details class="report">') :]
    return re.search(r'name="token" value="([^"]+)"', form).group(1)


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- the check's page -----------------------------------------------------------------------


def test_the_check_page_shows_what_the_maker_promised(world, covered):
    html = check_page(english(), world, 1).content.decode()
    assert verdict_of(html) == "genuine"
    certificate = covered.certificate
    assert f'src="{covered.programme.mark.url}"' in html
    assert covered.programme.name_en in html
    assert "What the maker promised" in html
    for how in STATEMENTS.values():
        assert how in html
    assert "Comply with laws, regulations and standards" in html  # an item's title
    assert "24小时内响应" in html and "整机保修六年" in html and "全国联保" in html
    assert f"data-promised-on>{timezone.localdate(covered.approved_at):%Y-%m-%d}<" in html
    # Approved and certified the same day, in the same time zone.
    assert f"data-promised-on>{certificate.valid_from:%Y-%m-%d}<" in html
    assert f'href="/integrity/certificates/{certificate.number}/"' in html
    assert (
        f"Valid from {certificate.valid_from:%Y-%m-%d} to {certificate.valid_until:%Y-%m-%d}"
        in html
    )
    for shown in (
        "GB/T 7725-2022",
        "Q/GREE 001-2024",
        "能效比",
        "≥4.5 W/W",
        "≤38 dB(A)",
        "GB/T 4214.1",
    ):
        assert shown in html
    assert html.count("<details") == 3  # two standards, and the report form
    assert f'action="/integrity/promises/{covered.pk}/report/"' in html


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_the_same_promise(world, covered, role):
    html = check_page(client_for(world, role), world, 10 + ROLES.index(role)).content.decode()
    assert verdict_of(html) == "genuine"
    assert html.count('class="promise"') == 1
    assert f"/integrity/certificates/{covered.certificate.number}/" in html


def test_the_page_speaks_chinese_first(world, covered):
    response = check_page(Client(), world, 2)
    html = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert covered.programme.name in html  # the Chinese name, not the English one
    assert covered.programme.name_en not in html
    assert "我们如何做到" in html


def test_the_page_stays_light_and_whole_without_javascript(world, covered):
    from trustlabel.verify.tests.test_pages import assert_light

    response = check_page(english(), world, 3)
    assert_light(response)
    html = response.content.decode()
    form = html[html.index('<details class="report">') :]
    assert 'method="post"' in form and "csrfmiddlewaretoken" in form


def test_nothing_is_shown_for_a_product_not_covered(world, covered):
    other = catalog.do_create_product(world.enterprise.organisation, "6901234567809", "除湿机")
    lot = catalog.do_create_lot(other, "L1", dt.date(2026, 3, 1), 100, "珠海一厂")
    order = codes.do_create_label_order(world.enterprise.actor, other, lot, 10, "open", "issue")
    html = english().get(f"/01/{other.gtin}/21/{world.code(order=order)}").content.decode()
    assert verdict_of(html) == "genuine"
    assert "What the maker promised" not in html
    assert 'class="promise"' not in html
    assert "/integrity/promises/" not in html


def test_nothing_is_shown_once_the_certificate_is_revoked(world, covered):
    assert 'class="promise"' in check_page(english(), world, 4).content.decode()
    do_revoke_certificate(world.association.actor, covered.certificate, "虚假承诺")
    html = check_page(english(), world, 5).content.decode()
    assert verdict_of(html) == "genuine"
    assert 'class="promise"' not in html
    assert covered.programme.mark.url not in html


def test_nothing_is_shown_before_the_certificate_or_after_it_runs_out(world, covered):
    certificate = covered.certificate
    assert promises_for(world.product.pk, certificate.valid_until)
    assert promises_for(world.product.pk, certificate.valid_until + dt.timedelta(days=1)) == []
    assert promises_for(world.product.pk, certificate.valid_from - dt.timedelta(days=1)) == []


def test_nothing_is_shown_for_a_copy_or_a_mistyped_code(world, covered, settings):
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 1
    client = english()
    check_page(client, world, 6)
    html = check_page(client, world, 6).content.decode()
    assert verdict_of(html) == "suspected_copy"
    assert 'class="promise"' not in html
    code = world.code(index=7)
    swapped = code[:4] + code[5] + code[4] + code[6:]
    if swapped != code:
        html = english().post("/verify", {"code": swapped}).content.decode()
        assert verdict_of(html) == "mistyped"
        assert 'class="promise"' not in html
    html = english().post("/verify", {"code": "1" * 20}).content.decode()
    assert verdict_of(html) in ("unknown", "mistyped")
    assert 'class="promise"' not in html


def test_an_expired_product_still_shows_its_promise(world, covered):
    old = catalog.do_create_lot(
        world.product, "L2020", dt.date(2020, 1, 1), 100, "珠海一厂", dt.date(2021, 1, 1)
    )
    order = codes.do_create_label_order(
        world.enterprise.actor, world.product, old, 5, "open", "issue"
    )
    html = english().get(f"/01/{world.product.gtin}/21/{world.code(order=order)}").content.decode()
    assert verdict_of(html) == "expired"
    assert 'class="promise"' in html


def test_a_revision_replaces_the_promise_shown(world, covered, reviewers):
    maker = world.enterprise.actor
    revision = flow.do_start_revision(maker, covered)
    flow.do_save_commitment(
        maker,
        revision,
        {**STATEMENTS, "after_sales": "七天无理由退货，十五天包换"},
        [("warranty", "整机保修八年")],
        "",
    )
    flow.do_submit(maker, revision)
    flow.do_start_review(reviewers[0], revision)
    flow.do_approve(reviewers[0], revision)
    flow.do_approve(reviewers[1], revision)
    (promise,) = promises_for(world.product.pk, timezone.localdate())
    assert promise.application.pk == revision.pk
    html = check_page(english(), world, 8).content.decode()
    assert "七天无理由退货，十五天包换" in html and "整机保修八年" in html
    assert "整机保修六年" not in html


def test_promises_cost_a_fixed_few_queries(
    world, covered, reviewers, django_assert_max_num_queries
):
    second = make_programme(
        world.association.actor, code="qm-2026", name="质量月", kind="quality_month"
    )
    approved_application(world, second, reviewers)
    today = timezone.localdate()
    request = RequestFactory().get("/")
    with django_assert_max_num_queries(5):  # the page's part included: it reads nothing more
        found = promises_for(world.product.pk, today)
        html = render_to_string(
            "integrity/_promises.html", {"promises": found, "promise_token": "t"}, request
        )
    assert {p.programme.code for p in found} == {"315-2026", "qm-2026"}
    assert html.count('class="promise"') == 2
    assert html.count("能效比") == 2
    assert html.count("整机保修六年") == 2


# --- reporting a broken promise ----------------------------------------------------------


def report(
    client, application_pk, token, text="说好的六年保修，第二年就不给修了", contact="13800000000"
):
    return client.post(
        f"/integrity/promises/{application_pk}/report/",
        {"token": token, "text": text, "contact": contact},
    )


def test_a_consumer_reports_a_broken_promise_from_the_check_page(world, covered):
    client = english()
    token = token_of(check_page(client, world, 9).content.decode())
    response = report(client, covered.pk, token)
    assert response.status_code == 302
    assert response["Location"] == "/integrity/promises/thanks/"
    stored = PromiseReport.objects.get()
    assert stored.application == covered
    assert stored.product == world.product
    assert stored.order == world.open_order
    assert stored.serial == world.open_order.serial_start + 9
    assert stored.text == "说好的六年保修，第二年就不给修了"
    assert stored.contact == "13800000000"
    assert stored.requester_hash == requester_hash("127.0.0.1")  # the test client's address
    thanks = client.get(response["Location"]).content.decode()
    assert "your report is recorded" in thanks
    assert "follow up" in thanks


@pytest.mark.parametrize("role", ROLES)
def test_anyone_holding_the_page_may_report_and_nobody_may_get(world, covered, role):
    client = client_for(world, role)
    token = report_token(world.product.pk, world.open_order.pk, world.open_order.serial_start)
    assert report(client, covered.pk, token).status_code == 302
    assert client.get(f"/integrity/promises/{covered.pk}/report/").status_code == 405
    assert client.get("/integrity/promises/thanks/").status_code == 200
    assert PromiseReport.objects.count() == 1


def test_a_report_needs_the_pages_csrf_token(world, covered):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    token = report_token(world.product.pk, None, None)
    assert report(client, covered.pk, token).status_code == 403
    assert not PromiseReport.objects.exists()


@pytest.mark.parametrize("token", ["", "made-up", "a place note"])
def test_a_report_without_a_checks_note_is_refused(world, covered, token):
    if token == "a place note":  # signed by us, but for sharing a place, not for reports
        token = signing.dumps({"product": world.product.pk}, salt="trustlabel.verify.place")
    response = report(english(), covered.pk, token)
    assert response.status_code == 400
    assert "only from the page of a label" in response.content.decode()
    assert not PromiseReport.objects.exists()


def test_an_old_page_cannot_report(world, covered, monkeypatch):
    token = report_token(world.product.pk, world.open_order.pk, world.open_order.serial_start)
    monkeypatch.setattr(promise_module, "REPORT_MAX_AGE", -1)
    response = report(english(), covered.pk, token)
    assert response.status_code == 400
    assert "too old" in response.content.decode()
    assert not PromiseReport.objects.exists()


def test_a_note_of_one_product_cannot_report_on_another_programmes_product(world, covered):
    other = catalog.do_create_product(world.enterprise.organisation, "6901234567809", "除湿机")
    response = report(english(), covered.pk, report_token(other.pk, None, None))
    assert response.status_code == 400
    assert "made no promise under this programme" in response.content.decode()
    response = report(english(), 999999, report_token(world.product.pk, None, None))
    assert response.status_code == 400
    assert not PromiseReport.objects.exists()


@pytest.mark.parametrize(
    ("text", "contact", "message"),
    [
        ("", "", "Say what is wrong"),
        ("   \n ", "", "Say what is wrong"),
        ("太长" * 1001, "", "under 2000 characters (now 2002)"),
        ("不保修", "1" * 101, "under 100 characters (now 101)"),
    ],
)
def test_a_report_says_what_is_missing_and_keeps_the_form(world, covered, text, contact, message):
    token = report_token(world.product.pk, world.open_order.pk, world.open_order.serial_start)
    response = report(english(), covered.pk, token, text=text, contact=contact)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'value="{token}"' in html  # the consumer can correct it and send it again
    assert not PromiseReport.objects.exists()


def test_reports_are_limited_per_client(world, covered, monkeypatch):
    monkeypatch.setattr(promise_views, "REPORTS_PER_CLIENT", Limit("promise-test", 2, 3600))
    token = report_token(world.product.pk, None, None)
    client = english()
    assert [report(client, covered.pk, token).status_code for _ in range(2)] == [302, 302]
    refused = report(client, covered.pk, token)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many reports" in refused.content.decode()
    assert PromiseReport.objects.count() == 2
    chinese = report(Client(), covered.pk, token)
    assert chinese.status_code == 429
    assert chinese["Content-Language"] == "zh-hans"


def test_the_action_refuses_a_product_the_application_does_not_cover(world, covered):
    other = catalog.do_create_product(world.enterprise.organisation, "6901234567809", "除湿机")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="made no promise"):
        do_report_broken_promise(covered, other, "不保修", "", "203.0.113.5")
    with pytest.raises(ValidationError, match="not a label of this product"):
        order = codes.do_create_label_order(
            world.enterprise.actor,
            other,
            catalog.do_create_lot(other, "L1", dt.date(2026, 3, 1), 10, "一厂"),
            5,
            "open",
        )
        do_report_broken_promise(covered, world.product, "不保修", "", "203.0.113.5", order=order)


# --- the portal's list ----------------------------------------------------------------------

PORTAL = "/portal/integrity/promise-reports/"
# anonymous, admin, staff, outsider, distributor, inspector, association
LIST_STATUS = (302, 200, 200, 200, 403, 403, 200)


@pytest.mark.parametrize("role", ROLES)
def test_the_portal_lists_reports_per_role(world, covered, role):
    do_report_broken_promise(
        covered,
        world.product,
        "第二年就不给修了",
        "13800000000",
        "203.0.113.5",
        order=world.open_order,
        serial=world.open_order.serial_start + 4,
    )
    expected = status_of(role, LIST_STATUS)
    response = client_for(world, role).get(PORTAL)
    assert response.status_code == expected
    if role == "anonymous":
        assert "/accounts/" in response["Location"]
    if expected != 200:
        return
    html = response.content.decode()
    sees_it = role in ("admin", "staff", "association")
    assert ("第二年就不给修了" in html) is sees_it
    assert (f"Order #{world.open_order.pk}, label 5" in html) is sees_it
    assert ("13800000000" in html) is (role == "association")


def test_the_association_filters_reports_by_enterprise(world, covered):
    do_report_broken_promise(covered, world.product, "第二年就不给修了", "", "203.0.113.5")
    client = client_for(world, "association")
    mine = client.get(PORTAL, {"enterprise": world.enterprise.organisation.pk}).content.decode()
    assert "第二年就不给修了" in mine
    other = client.get(PORTAL, {"enterprise": world.outsider.organisation.pk}).content.decode()
    assert "第二年就不给修了" not in other

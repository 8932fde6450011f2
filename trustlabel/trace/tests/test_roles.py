"""Every logistics, diversion, recall and inspection page and endpoint, as every role."""

import pytest

from trustlabel.accounts.tests.roles import ROLES, client_for, get_as, headers_for, status_of
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.trace import actions as trace
from trustlabel.trace.labels import label_epc
from trustlabel.trace.models import DiversionAlert
from trustlabel.verify.core import CheckContext, verify

from .test_logistics import sscc
from .test_recalls import TEXTS


@pytest.fixture
def scene(world):
    """A case shipped to the distributor, an alert about it, a recall of its lot."""
    do_set_sales_regions(world.distributor.organisation, ["320000"])
    maker = world.enterprise.actor
    items = [label_epc(world.open_order, world.open_order.serial_start + i) for i in range(3)]
    trace.do_pack(maker, sscc(1), items)
    trace.do_move(maker, trace.Step.SHIP, [sscc(1)], world.distributor.organisation)
    trace.do_pack(maker, sscc(2), [label_epc(world.open_order, world.open_order.serial_start + 9)])
    verify(world.code(index=0), CheckContext(lat=23.13, lon=113.32))
    alert = DiversionAlert.objects.get()
    recall = trace.do_open_recall(maker, [world.lot], **TEXTS)
    return {"alert": alert.pk, "recall": recall.pk, "code": world.code(index=1)}


# anonymous, admin, staff, outsider, distributor, inspector, association
PAGES = {
    "/portal/trace/scan/": (302, 200, 200, 200, 200, 403, 403),
    "/portal/trace/alerts/": (302, 200, 200, 200, 403, 403, 200),
    "/portal/trace/alerts/{alert}/": (302, 200, 200, 404, 403, 403, 200),
    "/portal/trace/recalls/": (302, 200, 200, 200, 200, 200, 200),
    "/portal/trace/recalls/{recall}/": (302, 200, 200, 404, 200, 200, 200),
    "/portal/trace/recalls/new/": (302, 200, 200, 200, 403, 403, 403),
    "/portal/trace/public/": (302, 200, 200, 200, 403, 403, 403),
    "/portal/trace/inspect/": (302, 403, 403, 403, 403, 200, 200),
    "/portal/trace/items/?label={code}": (302, 200, 200, 200, 403, 200, 200),
}


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, scene, url, role):
    get_as(world, role, url.format(**scene), PAGES[url])


def test_the_outsider_does_not_find_anothers_item(world, scene):
    body = client_for(world, "outsider").get(f"/portal/trace/items/?label={scene['code']}")
    assert b"No such item among your products" in body.content
    assert sscc(1).encode() not in body.content


# What a POST does, by role: a redirect is success (or, for anonymous, the sign-in page).
WRITES = {
    ("/portal/trace/alerts/{alert}/", "decide"): (302, 302, 302, 404, 403, 403, 403),
    ("/portal/trace/recalls/{recall}/", "close"): (302, 302, 302, 404, 403, 403, 403),
    ("/portal/trace/public/", "public"): (302, 302, 302, 302, 403, 403, 403),
}
FORMS = {
    "decide": {"state": "confirmed", "note": "已核实"},
    "close": {},
    "public": {"production": "on", "shipping": "on"},
}


@pytest.mark.parametrize(("url", "form"), WRITES)
@pytest.mark.parametrize("role", ROLES)
def test_every_write_as_every_role(world, scene, url, form, role):
    expected = status_of(role, WRITES[(url, form)])
    response = client_for(world, role).post(url.format(**scene), FORMS[form])
    assert response.status_code == expected
    if role == "anonymous":
        assert "/login" in response["Location"] or "/accounts/" in response["Location"]


# (method, url, body, what each role gets)
API = [
    ("get", "/api/v1/diversion-alerts", None, (401, 200, 200, 200, 403, 403, 200)),
    (
        "post",
        "/api/v1/diversion-alerts/{alert}",
        {"state": "dismissed", "note": "查无实据"},
        (401, 200, 200, 404, 403, 403, 403),
    ),
    ("get", "/api/v1/recalls", None, (401, 200, 200, 200, 200, 200, 200)),
    ("post", "/api/v1/recalls/{recall}/close", None, (401, 200, 200, 404, 403, 403, 403)),
    ("get", "/api/v1/items/where?label={code}", None, (401, 200, 200, 404, 403, 200, 200)),
    (
        "post",
        "/api/v1/logistics/scans",
        {"step": "store", "labels": ["{sscc2}"]},
        (401, 201, 201, 422, 422, 403, 403),
    ),
    (
        "post",
        "/api/v1/inspections/check",
        {"code": "{code}", "region": "440106"},
        (401, 403, 403, 403, 403, 200, 200),
    ),
]


def _filled(value, scene):
    if isinstance(value, str):
        return value.format(**scene, sscc2=sscc(2))
    if isinstance(value, list):
        return [_filled(v, scene) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, scene) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "url", "body", "statuses"), API)
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_as_every_role(world, scene, method, url, body, statuses, role, client):
    expected = status_of(role, statuses)
    send = getattr(client, method)
    kwargs = {"headers": headers_for(world, role)}
    if body is not None:
        kwargs |= {"data": _filled(body, scene), "content_type": "application/json"}
    response = send(_filled(url, scene), **kwargs)
    assert response.status_code == expected, response.content[:300]


def test_the_distributor_recalls_list_shows_what_it_holds(world, scene):
    body = client_for(world, "distributor").get("/portal/trace/recalls/").content.decode()
    assert TEXTS["reason"] in body
    listed = client_for(world, "distributor").get(
        "/api/v1/recalls", headers=headers_for(world, "distributor")
    )
    assert [r["id"] for r in listed.json()] == [scene["recall"]]

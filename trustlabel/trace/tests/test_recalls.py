"""While a lot is recalled, every check of its labels says so, with what to do."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from trustlabel.accounts.tests.roles import ENTERPRISE_CREATES, headers_for
from trustlabel.catalog import actions as catalog
from trustlabel.trace import actions as trace
from trustlabel.trace.schema import event_problems
from trustlabel.verify.core import verify

TEXTS = {
    "reason": "插头绝缘层可能破损",
    "hazard": "触电危险",
    "instructions": "请立即停止使用，拔下插头，联系客服免费更换。",
    "contact": "400-800-1234",
}


@pytest.fixture
def recall(world):
    return trace.do_open_recall(world.enterprise.actor, [world.lot], **TEXTS)


def test_a_recalled_lot_answers_recalled_with_the_instructions(world, recall):
    verdict = verify(world.code(index=50))
    assert verdict.kind == "recalled"
    assert verdict.recall.instructions == TEXTS["instructions"]
    assert verdict.check_count == 1  # a real product: its checks still count
    assert verify(world.code(index=50)).check_count == 2


def test_every_channel_tells_it(world, recall):
    answer = (
        Client()
        .post(
            "/api/v1/verify",
            {"code": world.code(index=51)},
            content_type="application/json",
            headers={"Accept-Language": "en"},
        )
        .json()
    )
    assert answer["verdict"] == "recalled"
    assert answer["headline"] == "Recalled: stop using this product"
    assert answer["recall"]["instructions"] == TEXTS["instructions"]
    assert answer["recall"]["contact"] == TEXTS["contact"]
    page = Client(headers={"Accept-Language": "zh-hans"}).post(
        "/verify", {"code": world.code(index=52)}
    )
    assert b'data-verdict="recalled"' in page.content
    assert TEXTS["instructions"].encode() in page.content
    assert "已召回".encode() in page.content


def test_a_closed_recall_no_longer_shows(world, recall):
    trace.do_close_recall(world.enterprise.actor, recall)
    assert verify(world.code(index=53)).kind == "genuine"


def test_other_lots_are_not_recalled(world, recall):
    other = catalog.do_create_lot(world.product, "L2", world.lot.production_date, 10, "二厂")
    assert not other.recalls.exists()
    assert verify(world.code(index=54)).kind == "recalled"  # the world's lot


def test_the_recall_is_an_epcis_event_with_disposition_recalled(world, recall):
    body = recall.event.body
    assert event_problems(body) == []
    assert body["disposition"] == "recalled"
    assert body["quantityList"] == [
        {"epcClass": f"https://id.gs1.org/01/{world.product.gtin}/10/{world.lot.lot_number}"}
    ]
    assert body["tl:recall"].endswith(f"/recalls/{recall.pk}")
    response = Client().get(
        "/epcis/events", {"EQ_disposition": "recalled"}, headers=world.enterprise.api_headers()
    )
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["eventID"] for e in events] == [recall.event.event_id]


def test_only_the_enterprise_recalls_its_own_lots(world):
    with pytest.raises(ValidationError):
        trace.do_open_recall(world.outsider.actor, [world.lot], **TEXTS)
    for party in (world.distributor, world.inspector, world.association):
        with pytest.raises(PermissionDenied):
            trace.do_open_recall(party.actor, [world.lot], **TEXTS)
    with pytest.raises(ValidationError) as refused:
        trace.do_open_recall(world.enterprise.actor, [world.lot], **{**TEXTS, "hazard": " "})
    assert "hazard" in refused.value.message_dict
    with pytest.raises(ValidationError):
        trace.do_open_recall(world.enterprise.actor, [], **TEXTS)
    assert verify(world.code(index=55)).kind == "genuine"


@pytest.mark.parametrize(("role", "status"), ENTERPRISE_CREATES)
def test_recalls_over_the_api_are_the_enterprises(world, role, status):
    headers = headers_for(world, role)
    response = Client().post(
        "/api/v1/recalls",
        {"lot_ids": [world.lot.pk], **TEXTS},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == status, response.content
    if status != 201:
        assert verify(world.code(index=60)).kind == "genuine"
        return
    recall = response.json()
    assert recall["lot_ids"] == [world.lot.pk] and recall["closed_at"] is None
    assert recall["event_id"].startswith("ni:///sha-256;")
    assert verify(world.code(index=60)).kind == "recalled"
    listed = Client().get("/api/v1/recalls", headers=headers).json()
    assert [r["id"] for r in listed] == [recall["id"]]
    seen_by_association = Client().get("/api/v1/recalls", headers=headers_for(world, "association"))
    assert [r["id"] for r in seen_by_association.json()] == [recall["id"]]
    assert Client().get("/api/v1/recalls", headers=headers_for(world, "outsider")).json() == []
    outsider_close = Client().post(
        f"/api/v1/recalls/{recall['id']}/close", headers=headers_for(world, "outsider")
    )
    assert outsider_close.status_code == 404
    closed = Client().post(f"/api/v1/recalls/{recall['id']}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert verify(world.code(index=61)).kind == "genuine"


def test_the_api_explains_a_recall_without_instructions(world):
    response = Client().post(
        "/api/v1/recalls",
        {"lot_ids": [world.lot.pk], **TEXTS, "instructions": ""},
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 422
    assert "instructions" in response.json()["errors"]

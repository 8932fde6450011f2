"""POST /api/v1/verify: the machine channel of the same verification core."""

import json

import pytest

from trustlabel.verify.models import ScanLog

URL = "/api/v1/verify"


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def test_it_answers_with_the_verdict_and_the_product(world, anon):
    code = world.code(index=1)
    first = post(anon, {"code": code, "lat": 31.23, "lon": 121.47})
    assert first.status_code == 200
    body = first.json()
    assert body["verdict"] == "genuine"
    assert body["check_count"] == 1
    assert body["product"]["gtin"] == world.product.gtin
    assert body["product"]["specification"] == "KFR-35GW"
    assert body["lot"]["lot_number"] == world.lot.lot_number
    assert body["inspection_reports"][0]["report_number"] == "JY-2026-0042"
    assert body["headline"]
    second = post(anon, {"code": code}).json()
    assert second["verdict"] == "genuine_checked_before"
    assert second["check_count"] == 2
    assert second["first_checked_at"] == body["first_checked_at"]
    assert second["first_place"] == {"lat": 31.23, "lon": 121.47}
    assert ScanLog.objects.filter(channel="api").count() == 2


def test_it_takes_the_full_qr_content(world, anon, settings):
    code = world.code(index=2)
    link = f"{settings.TRUSTLABEL_BASE_URL}/01/{world.product.gtin}/21/{code}"
    assert post(anon, {"code": link}).json()["verdict"] == "genuine"


def test_it_answers_in_english_on_request(world, anon):
    body = post(anon, {"code": world.code(index=3)}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["headline"] == "Genuine product"
    assert body["product"]["name"] == world.product.name_en


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"code": ""}, 422),
        ({"code": "abc"}, 422),
        ({"code": "1" * 301}, 422),
        ({"code": 12345}, 422),
        ({"code": "https://evil.example.com/01/06901234567892/21/1"}, 422),
        ({"code": "12345678901234567890", "lat": 200, "lon": 0}, 422),
    ],
)
def test_it_refuses_bad_input_clearly_and_keeps_nothing(world, anon, body, status):
    response = post(anon, body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert not ScanLog.objects.exists()


def test_it_refuses_a_body_that_is_not_json(anon, db):
    response = anon.post(URL, "{not json", content_type="application/json")
    assert response.status_code in (400, 422)


def test_it_says_too_many_attempts(world, anon, settings):
    settings.TRUSTLABEL_RATE_PER_CODE = 1
    code = world.code(index=4)
    post(anon, {"code": code})
    response = post(anon, {"code": code})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_it_is_described_in_the_openapi_schema(anon, db):
    schema = anon.get("/api/openapi.json").json()
    assert "/api/v1/verify" in schema["paths"]
    assert anon.get("/api/docs").status_code == 200

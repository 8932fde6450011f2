"""The regions API: the public division list, and sales regions tried as every role."""

import pytest
from django.test import Client

from trustlabel.accounts.tests.roles import ROLES, headers_for
from trustlabel.regions import api as regions_api
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.regions.places import sales_regions
from trustlabel.verify.ratelimit import Limit

API = "/api/v1"
ENGLISH = {"Accept-Language": "en"}

# A distributor's sales regions: the distributor and the association read them, the
# association alone sets them; everyone else is told there is no such distributor.
READ = {
    "anonymous": 401,
    "admin": 404,
    "staff": 404,
    "outsider": 404,
    "distributor": 200,
    "inspector": 404,
    "association": 200,
}
WRITE = {**READ, "distributor": 403}


def test_it_lists_the_provinces(db):
    response = Client().get(f"{API}/divisions", headers=ENGLISH)
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 33
    assert body[0] == {
        "code": "110000",
        "name": "北京市",
        "name_en": "Beijing",
        "level": 1,
        "parent": None,
        "full_name": "Beijing",
    }


def test_it_lists_the_children_of_a_division(db):
    body = Client().get(f"{API}/divisions", {"parent": "440100"}, headers=ENGLISH).json()
    assert len(body) == 11
    tianhe = next(d for d in body if d["code"] == "440106")
    assert tianhe["full_name"] == "Tianhe District, Guangzhou, Guangdong"
    # Henan's children include a county-level city directly under it
    henan = Client().get(f"{API}/divisions", {"parent": "410000"}).json()
    assert {"code": "419001", "level": 3} in [
        {"code": d["code"], "level": d["level"]} for d in henan
    ]
    assert Client().get(f"{API}/divisions", {"parent": "810000"}).json() == []


def test_it_gets_one_division_in_the_requests_language(db):
    chinese = Client().get(f"{API}/divisions/419001", headers={"Accept-Language": "zh-hans"})
    assert chinese.status_code == 200
    assert chinese.json()["full_name"] == "河南省济源市"
    assert chinese.json()["parent"] == "410000"
    english = Client().get(f"{API}/divisions/419001", headers=ENGLISH)
    assert english.json()["full_name"] == "Jiyuan, Henan"


@pytest.mark.parametrize("path", ["/divisions/500112", "/divisions/abc", "/divisions?parent=1"])
def test_it_says_when_a_division_does_not_exist(db, path):
    response = Client().get(API + path, headers=ENGLISH)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such division."}


def test_it_limits_how_often_a_client_reads_the_list(db, monkeypatch):
    monkeypatch.setattr(regions_api, "DIVISIONS_PER_CLIENT", Limit("divisions-ip", 2, 60))
    client = Client()
    assert client.get(f"{API}/divisions/440000").status_code == 200
    assert client.get(f"{API}/divisions").status_code == 200
    refused = client.get(f"{API}/divisions/440000", headers=ENGLISH)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests.")
    # another client is not affected
    assert Client(REMOTE_ADDR="192.0.2.9").get(f"{API}/divisions").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_each_role_read_only_what_it_may(world, division_table, role):
    organisation = world.distributor.organisation
    do_set_sales_regions(organisation, ["440000", "110101"])
    response = Client().get(
        f"{API}/organisations/{organisation.pk}/sales-regions", headers=headers_for(world, role)
    )
    assert response.status_code == READ[role]
    body = response.json()
    if response.status_code != 200:
        assert body["detail"]
        return
    assert body["organisation_id"] == organisation.pk
    assert [(r["code"], r["full_name"]) for r in body["regions"]] == [
        ("110101", "Dongcheng District, Beijing"),
        ("440000", "Guangdong"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_the_association_set_them(world, division_table, role):
    organisation = world.distributor.organisation
    response = Client().put(
        f"{API}/organisations/{organisation.pk}/sales-regions",
        {"codes": ["440100", "419001"]},
        content_type="application/json",
        headers=headers_for(world, role),
    )
    assert response.status_code == WRITE[role]
    if response.status_code == 200:
        regions = response.json()["regions"]
        assert [r["code"] for r in regions] == ["419001", "440100"]
        assert sales_regions(organisation.pk) == ["419001", "440100"]
    else:
        assert response.json()["detail"]
        assert sales_regions(organisation.pk) == []


def test_it_replaces_the_regions_it_is_given(world, division_table):
    organisation = world.distributor.organisation
    do_set_sales_regions(organisation, ["440000", "110101"])
    url = f"{API}/organisations/{organisation.pk}/sales-regions"
    headers = headers_for(world, "association")
    response = Client().put(
        url, {"codes": ["110101", "310000"]}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert sales_regions(organisation.pk) == ["110101", "310000"]
    cleared = Client().put(url, {"codes": []}, content_type="application/json", headers=headers)
    assert cleared.json()["regions"] == []


def test_it_refuses_unknown_codes_and_keeps_the_regions(world, division_table):
    organisation = world.distributor.organisation
    do_set_sales_regions(organisation, ["440000"])
    response = Client().put(
        f"{API}/organisations/{organisation.pk}/sales-regions",
        {"codes": ["440106", "500112", "999999"]},
        content_type="application/json",
        headers=headers_for(world, "association"),
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request is not valid.",
        "errors": {"codes": ["Unknown division codes: 500112, 999999."]},
    }
    assert sales_regions(organisation.pk) == ["440000"]


def test_it_finds_no_sales_regions_for_other_kinds_of_organisation(world, division_table):
    headers = headers_for(world, "association")
    for organisation in (world.enterprise.organisation, world.inspector.organisation):
        url = f"{API}/organisations/{organisation.pk}/sales-regions"
        assert Client().get(url, headers=headers).status_code == 404
    assert Client().get(f"{API}/organisations/999999/sales-regions", headers=headers).json() == {
        "detail": "No such distributor."
    }

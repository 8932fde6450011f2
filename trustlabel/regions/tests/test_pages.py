"""The sales region pages: the association edits, the distributor reads its own."""

import pytest

from trustlabel.accounts.models import Organisation
from trustlabel.accounts.tests.roles import ROLES, client_for
from trustlabel.conftest import make_party
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.regions.places import sales_regions

LIST = {
    "anonymous": 302,
    "admin": 403,
    "staff": 403,
    "outsider": 403,
    "distributor": 302,
    "inspector": 403,
    "association": 200,
}
PAGE = {**LIST, "distributor": 200}


def page_of(world) -> str:
    return f"/portal/regions/{world.distributor.organisation.pk}/"


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_pages_to_the_association_and_the_distributor(world, division_table, role):
    do_set_sales_regions(world.distributor.organisation, ["440106"])
    client = client_for(world, role)
    listing = client.get("/portal/regions/")
    assert listing.status_code == LIST[role]
    page = client.get(page_of(world))
    assert page.status_code == PAGE[role]
    if role == "distributor":
        assert listing["Location"] == page_of(world)
    if page.status_code == 200:
        html = page.content.decode()
        assert "Tianhe District, Guangzhou, Guangdong" in html
        assert ("Add a region" in html) is (role == "association")
        assert ('name="code" value="440106"' in html) is (role == "association")


def test_it_lists_every_distributor_with_its_regions(world, division_table):
    do_set_sales_regions(world.distributor.organisation, ["440000", "419001"])
    other = make_party(Organisation.Kind.DISTRIBUTOR, "西南经销有限公司", "southwest")
    html = client_for(world, "association").get("/portal/regions/").content.decode()
    assert "Jiyuan, Henan; Guangdong" in html
    assert other.organisation.name in html
    assert "None yet" in html


def test_it_hides_another_distributors_regions(world, division_table):
    other = make_party(Organisation.Kind.DISTRIBUTOR, "西南经销有限公司", "southwest")
    response = client_for(world, "distributor").get(f"/portal/regions/{other.organisation.pk}/")
    assert response.status_code == 404


def test_it_picks_a_county_step_by_step_without_javascript(world, division_table):
    client = client_for(world, "association")
    html = client.get(page_of(world)).content.decode()
    assert '<option value="440000">Guangdong</option>' in html
    assert 'name="city"' not in html

    html = client.get(page_of(world), {"province": "440000"}).content.decode()
    assert '<option value="440100">Guangzhou</option>' in html
    assert 'name="county"' not in html
    assert "Add Guangdong" in html

    query = {"province": "440000", "city": "440100", "county": "440106"}
    html = client.get(page_of(world), query).content.decode()
    assert '<option value="440106" selected>Tianhe District</option>' in html
    assert "Add Tianhe District, Guangzhou, Guangdong" in html
    assert 'name="code" value="440106"' in html


def test_it_offers_districts_under_a_municipality_and_drops_a_stale_choice(world, division_table):
    client = client_for(world, "association")
    html = client.get(page_of(world), {"province": "110000"}).content.decode()
    assert "District or county" in html
    assert '<option value="110105">Chaoyang District</option>' in html
    # a city left from another province is dropped, not an error
    html = client.get(page_of(world), {"province": "110000", "city": "440100"}).content.decode()
    assert "Add Beijing" in html


def test_it_adds_and_removes_regions(world, division_table):
    client = client_for(world, "association")
    organisation = world.distributor.organisation
    response = client.post(f"{page_of(world)}add/", {"code": "440106"}, follow=True)
    assert response.redirect_chain == [(page_of(world), 302)]
    assert "Tianhe District, Guangzhou, Guangdong is a sales region now." in (
        response.content.decode()
    )
    assert sales_regions(organisation.pk) == ["440106"]

    response = client.post(f"{page_of(world)}remove/", {"code": "440106"}, follow=True)
    assert "is no longer a sales region" in response.content.decode()
    assert sales_regions(organisation.pk) == []


def test_it_says_when_a_code_is_unknown(world, division_table):
    client = client_for(world, "association")
    response = client.post(f"{page_of(world)}add/", {"code": "999999"}, follow=True)
    assert "Unknown division code: 999999." in response.content.decode()
    assert sales_regions(world.distributor.organisation.pk) == []


@pytest.mark.parametrize("role", ["distributor", "admin", "inspector"])
def test_it_lets_no_one_else_change_regions(world, division_table, role):
    do_set_sales_regions(world.distributor.organisation, ["440106"])
    client = client_for(world, role)
    assert client.post(f"{page_of(world)}add/", {"code": "110000"}).status_code == 403
    assert client.post(f"{page_of(world)}remove/", {"code": "440106"}).status_code == 403
    assert sales_regions(world.distributor.organisation.pk) == ["440106"]

"""The member register's pages, as every role, and its edit form."""

import datetime as dt

import pytest

from trustlabel.accounts.tests.roles import ROLES, client_for, get_as, status_of
from trustlabel.integrity.actions import do_update_member
from trustlabel.integrity.models import Member


@pytest.fixture
def scene(world):
    return {"member": world.enterprise.organisation.member.pk}


# anonymous, admin, staff, outsider, distributor, inspector, association
ASSOCIATION_ONLY = (302, 403, 403, 403, 403, 403, 200)
PAGES = {
    "/portal/members/": ASSOCIATION_ONLY,
    "/portal/members/?q=示例&industry=C&status=active&province=440000": ASSOCIATION_ONLY,
    "/portal/members/mine/": (302, 302, 302, 302, 403, 403, 404),
    "/portal/members/{member}/": (302, 200, 200, 404, 403, 403, 200),
    "/portal/members/{member}/edit/": ASSOCIATION_ONLY,
}


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, scene, url, role):
    get_as(world, role, url.format(**scene), PAGES[url])


@pytest.mark.parametrize("role", ROLES)
def test_only_the_association_saves_a_member(world, scene, role):
    expected = status_of(role, (302, 403, 403, 403, 403, 403, 302))
    response = client_for(world, role).post(
        f"/portal/members/{scene['member']}/edit/", form(industry="F")
    )
    assert response.status_code == expected
    industry = Member.objects.get(pk=scene["member"]).industry
    assert industry == ("F" if role == "association" else "")


def form(**changes) -> dict:
    return {
        "uscc": "91440400192548256N",
        "region": "440402",
        "industry": "C",
        "contact_name": "张敏",
        "contact_phone": "0756-8668888",
        "contact_email": "zhang@example.com",
        "status": "active",
        "joined_on": "2020-03-15",
        "expires_on": "2027-03-14",
        **changes,
    }


def test_the_association_sees_and_finds_members(world):
    client = client_for(world, "association")
    body = client.get("/portal/members/?q=示例").content.decode()
    assert "珠海示例电器股份有限公司" in body
    assert "别家食品有限公司" not in body
    assert 'href="/portal/members/"' in body  # the nav link


def test_the_enterprise_reads_its_own_record(world, scene):
    do_update_member(
        world.association.actor, world.enterprise.organisation.member, uscc="91440400192548256N"
    )
    client = client_for(world, "staff")
    response = client.get("/portal/members/mine/", follow=True)
    body = response.content.decode()
    assert "91440400192548256N" in body
    assert "/edit/" not in body


def test_the_form_saves_with_a_typed_code_tidied(world, scene):
    client = client_for(world, "association")
    url = f"/portal/members/{scene['member']}/edit/"
    response = client.post(url, form(uscc="9144 0400 1925 4825 6n"))
    assert response.status_code == 302
    member = Member.objects.select_related("region").get(pk=scene["member"])
    assert member.uscc == "91440400192548256N"
    assert member.region.code == "440402"
    assert member.contact_name == "张敏"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uscc": "91440400192548256M"}, "its check character (the last one) does not match"),
        ({"uscc": "914404001925"}, "it has 12 characters instead of 18."),
        ({"uscc": "91440400192548256I"}, "first 8 characters are digits"),
        ({"expires_on": "2019-01-01"}, "The membership must expire after the day it began."),
        ({"contact_email": "zhang"}, "Enter a valid email address."),
        ({"region": "999999"}, "Select a valid choice."),
    ],
)
def test_the_form_refuses_bad_input_and_keeps_what_was_typed(world, scene, changes, message):
    client = client_for(world, "association")
    url = f"/portal/members/{scene['member']}/edit/"
    response = client.post(url, form(**changes))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'value="张敏"' in body
    assert 'value="0756-8668888"' in body
    assert Member.objects.get(pk=scene["member"]).contact_name == ""


def test_the_form_refuses_a_code_another_member_has(world, scene):
    do_update_member(
        world.association.actor, world.outsider.organisation.member, uscc="91440400192548256N"
    )
    response = client_for(world, "association").post(
        f"/portal/members/{scene['member']}/edit/", form()
    )
    assert "Another member already has this unified social credit code." in (
        response.content.decode()
    )


def test_the_register_speaks_chinese(world):
    do_update_member(world.association.actor, world.enterprise.organisation.member, industry="C")
    client = client_for(world, "association")
    body = client.get("/portal/members/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "会员名录" in body
    assert "制造业" in body


def test_the_edit_form_keeps_its_dates_in_chinese(world, scene):
    """A date input reads only ISO dates: the Chinese date format would empty the field."""
    member = world.enterprise.organisation.member
    do_update_member(world.association.actor, member, joined_on=dt.date(2020, 3, 15))
    body = (
        client_for(world, "association")
        .get(f"/portal/members/{scene['member']}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert "会员" in body
    assert 'type="date" name="joined_on" value="2020-03-15"' in body

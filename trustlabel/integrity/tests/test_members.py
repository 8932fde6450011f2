import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.models import Organisation
from trustlabel.integrity.actions import do_update_member, ensure_member
from trustlabel.integrity.models import Member
from trustlabel.integrity.views.members import search
from trustlabel.regions.models import Division

backfill = importlib.import_module("trustlabel.integrity.migrations.0002_enterprises_are_members")


def test_it_makes_every_enterprise_an_active_member(world):
    enterprises = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    assert {m.organisation for m in Member.objects.all()} == set(enterprises)
    member = world.enterprise.organisation.member
    assert member.status == Member.Status.ACTIVE
    assert member.joined_on == timezone.localdate(world.enterprise.organisation.created_at)
    assert member.uscc == ""


def test_the_migration_registers_the_enterprises_made_before_it(world):
    Member.objects.all().delete()
    backfill.enterprises_are_members(apps, None)
    backfill.enterprises_are_members(apps, None)  # and only once
    assert Member.objects.count() == 2
    assert set(Member.objects.values_list("status", flat=True)) == {"active"}


def test_other_kinds_of_organisation_are_not_members(world):
    assert not Member.objects.filter(organisation=world.distributor.organisation).exists()
    accounts.do_create_organisation(Organisation.Kind.INSPECTOR, "另一检验所")
    assert Member.objects.count() == 2


def test_ensure_member_keeps_an_existing_record(world):
    member = world.enterprise.organisation.member
    assert ensure_member(world.enterprise.organisation).pk == member.pk


def test_only_the_association_updates_the_register(world):
    member = world.enterprise.organisation.member
    with pytest.raises(PermissionDenied):
        do_update_member(world.enterprise.actor, member, uscc="91110000600037341L")
    do_update_member(world.association.actor, member, uscc="91110000600037341L", industry="C")
    member.refresh_from_db()
    assert (member.uscc, member.industry) == ("91110000600037341L", "C")


def test_it_refuses_a_code_another_member_has(world):
    do_update_member(
        world.association.actor, world.enterprise.organisation.member, uscc="91110000600037341L"
    )
    with pytest.raises(ValidationError) as caught:
        do_update_member(
            world.association.actor, world.outsider.organisation.member, uscc="91110000600037341L"
        )
    assert "Another member already has this unified social credit code." in caught.value.messages


def test_it_refuses_an_expiry_before_joining(world):
    with pytest.raises(ValidationError) as caught:
        do_update_member(
            world.association.actor,
            world.enterprise.organisation.member,
            joined_on=dt.date(2026, 3, 1),
            expires_on=dt.date(2026, 2, 1),
        )
    assert "The membership must expire after the day it began." in caught.value.messages


@pytest.fixture
def register(world):
    keeper = world.association.actor
    gree = accounts.do_create_organisation(Organisation.Kind.ENTERPRISE, "珠海格力电器股份有限公司")
    do_update_member(
        keeper,
        gree.member,
        uscc="91440400192548256N",
        region=Division.objects.get(code="440402"),
        industry="C",
    )
    do_update_member(
        keeper,
        world.outsider.organisation.member,
        region=Division.objects.get(code="419001"),  # 济源市, directly under Henan
        industry="F",
        status=Member.Status.SUSPENDED,
    )
    return gree.member


def names(rows) -> set:
    return {m.organisation.name for m in rows}


def test_it_finds_a_member_by_a_chinese_name_fragment(register):
    assert names(search(Member.objects.all(), q="格力")) == {"珠海格力电器股份有限公司"}
    assert names(search(Member.objects.all(), q="电器")) == {
        "珠海格力电器股份有限公司",
        "珠海示例电器股份有限公司",
    }


def test_it_finds_a_member_by_its_credit_code(register):
    assert names(search(Member.objects.all(), q="91440400192548256n")) == {
        "珠海格力电器股份有限公司"
    }
    assert names(search(Member.objects.all(), q="192548")) == {"珠海格力电器股份有限公司"}


def test_it_filters_by_province_industry_and_status(register):
    guangdong = Division.objects.get(code="440000")
    henan = Division.objects.get(code="410000")
    rows = Member.objects.all()
    assert names(search(rows, province=guangdong)) == {"珠海格力电器股份有限公司"}
    assert names(search(rows, province=henan)) == {"别家食品有限公司"}
    assert names(search(rows, industry="F")) == {"别家食品有限公司"}
    assert names(search(rows, status="active")) == {
        "珠海格力电器股份有限公司",
        "珠海示例电器股份有限公司",
    }
    assert names(search(rows, q="格力", status="suspended")) == set()


def test_the_demo_enterprises_are_members_with_valid_codes(db):
    from io import StringIO

    from django.core.management import call_command

    from trustlabel.integrity.uscc import validate_uscc

    call_command("demo", "--json", stdout=StringIO())
    members = Member.objects.select_related("organisation")
    assert members.count() == 2
    for member in members:
        validate_uscc(member.uscc)
        assert member.uscc[2:8] == member.region_id
        assert (member.industry, member.status) == ("C", "active")

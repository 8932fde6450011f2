"""Programmes and applications for the integrity tests, made through the actions."""

import datetime as dt

import pytest
from django.utils import timezone

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.models import User
from trustlabel.conftest import PASSWORD, pdf_upload
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.models import CommitmentItem, ServicePromise


def make_programme(actor, code="315-2026", **changes):
    today = timezone.localdate()
    fields = {
        "code": code,
        "name": "2026年“3·15”质量诚信承诺活动",
        "name_en": "3.15 quality-integrity commitment 2026",
        "kind": "consumer_rights",
        "year": today.year,
        "requirements": "质量诚信承诺书、标准自我声明、营业执照",
        "required_documents": ["business_licence"],
        "opens_on": today - dt.timedelta(days=10),
        "closes_on": today + dt.timedelta(days=30),
        "valid_until": today + dt.timedelta(days=365),
        "label_quota": 100_000,
        **changes,
    }
    return flow.do_save_programme(actor, **fields)


STATEMENTS = {item.value: f"我们如何做到：{item.label}" for item in CommitmentItem}


def fill_application(actor, application):
    """Everything a complete application holds: submit() accepts it as it is."""
    flow.do_save_commitment(
        actor,
        application,
        STATEMENTS,
        [(ServicePromise.Topic.RESPONSE_TIME, "24小时内响应"), ("warranty", "整机保修六年")],
        "全国联保",
    )
    for covered in application.covered_products.all():
        flow.do_declare_standard(actor, covered, "national", "GB/T 7725-2022", "房间空气调节器")
        flow.do_declare_standard(
            actor,
            covered,
            "enterprise",
            "Q/GREE 001-2024",
            "变频空调企业标准",
            indicators=[
                {"name": "能效比", "value": "≥4.5", "unit": "W/W", "test_method": "GB/T 7725"},
                {"name": "噪声", "value": "≤38", "unit": "dB(A)", "test_method": "GB/T 4214.1"},
            ],
        )
    flow.do_attach_document(
        actor, application, "business_licence", "营业执照", pdf_upload("licence.pdf")
    )
    return application


def approved_application(world, programme, reviewers):
    """An application of the world's enterprise taken through the whole review."""
    maker = world.enterprise.actor
    application = flow.do_start_application(maker, programme, [world.product])
    fill_application(maker, application)
    flow.do_submit(maker, application)
    first, second = reviewers
    flow.do_start_review(first, application)
    flow.do_approve(first, application, "材料齐全")
    return flow.do_approve(second, application, "同意")


@pytest.fixture
def programme(world):
    return make_programme(world.association.actor)


@pytest.fixture
def reviewers(world):
    """Two people of the association, for the four-eyes approval."""
    second = accounts.do_create_user(
        "reviewer-2", world.association.organisation, role=User.Role.STAFF, password=PASSWORD
    )
    from trustlabel.accounts.access import Actor

    return world.association.actor, Actor.of_user(second)


@pytest.fixture
def approved(world, programme, reviewers):
    return approved_application(world, programme, reviewers)

"""Programmes and applications for the integrity tests, made through the actions."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation, User
from trustlabel.catalog import actions as catalog
from trustlabel.conftest import PASSWORD, pdf_upload
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.models import CommitmentItem, ServicePromise
from trustlabel.trace.identifiers import check_digit


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


def _through_review(actor, application, reviewers, first_comment="", second_comment=""):
    """The application filled, submitted and approved by both reviewers."""
    fill_application(actor, application)
    flow.do_submit(actor, application)
    first, second = reviewers
    flow.do_start_review(first, application)
    flow.do_approve(first, application, first_comment)
    return flow.do_approve(second, application, second_comment)


def approved_application(world, programme, reviewers):
    """An application of the world's enterprise taken through the whole review."""
    maker = world.enterprise.actor
    application = flow.do_start_application(maker, programme, [world.product])
    return _through_review(maker, application, reviewers, "材料齐全", "同意")


def approved_enterprise(programme, reviewers, number: int, name="", name_en="") -> Organisation:
    """Another enterprise, with an approved application to the programme for a product of
    its own; `number` sets it apart (its name unless given, its user and its GTIN)."""
    organisation = accounts.do_create_organisation(
        Organisation.Kind.ENTERPRISE, name or f"标杆候选{number:03d}有限公司", name_en=name_en
    )
    user = accounts.do_create_user(
        f"candidate-{number}", organisation, role=User.Role.ADMIN, password=PASSWORD
    )
    digits = f"69{number + 1000:010d}"
    product = catalog.do_create_product(organisation, digits + check_digit(digits), "电饭煲")
    actor = Actor.of_user(user)
    _through_review(actor, flow.do_start_application(actor, programme, [product]), reviewers)
    return organisation


@pytest.fixture
def programme(world):
    return make_programme(world.association.actor)


@pytest.fixture
def reviewers(world):
    """Two people of the association, for the four-eyes approval."""
    second = accounts.do_create_user(
        "reviewer-2", world.association.organisation, role=User.Role.STAFF, password=PASSWORD
    )
    return world.association.actor, Actor.of_user(second)


@pytest.fixture
def approved(world, programme, reviewers):
    return approved_application(world, programme, reviewers)


def png_upload(size=(64, 64), colour=(200, 30, 30), name="mark.png") -> SimpleUploadedFile:
    """A plain PNG upload, for programmes' label marks (RGBA when `colour` has alpha)."""
    mode = "RGBA" if isinstance(colour, tuple) and len(colour) == 4 else "RGB"
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")

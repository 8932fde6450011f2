"""Shared test data: one organisation and user per role, made through the actions.

`world` gives an association, two enterprises (the second is the outsider who must be
refused the first one's data), a distributor and an inspector, each with a user and an
API key, and for the first enterprise a product, a lot with an inspection report and an
open and a scratch-off label order.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation, User
from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.codes.keys import code_key, forget_cached_keys
from trustlabel.regions.actions import do_load_divisions
from trustlabel.regions.models import Division
from trustlabel.trace import actions as trace

PASSWORD = "correct horse battery staple"  # noqa: S105 - test users only

# A minimal valid PDF (one empty page), for inspection report uploads.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf_upload(name: str = "report.pdf", content: bytes = MINIMAL_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def report_fields(**changes) -> dict:
    """The fields of an inspection report upload, as a form or the API takes them."""
    return {
        "report_number": "JY-2026-0099",
        "result": "pass",
        "inspector_name": "国家家用电器质量检验检测中心",
        "inspected_on": "2026-03-20",
        "file": pdf_upload(),
        **changes,
    }


@dataclass
class Party:
    organisation: Organisation
    user: User
    api_key: str

    @property
    def actor(self) -> Actor:
        return Actor.of_user(self.user)

    def client(self) -> Client:
        client = Client()
        client.force_login(self.user)
        return client

    def api_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"}


def make_party(kind: str, name: str, username: str, role: str = User.Role.ADMIN) -> Party:
    org = accounts.do_create_organisation(kind, name, name_en=username.title())
    user = accounts.do_create_user(username, org, role=role, password=PASSWORD)
    _, secret = accounts.do_create_api_key(org, f"{username} key", role=role, created_by=user)
    return Party(org, user, secret)


@dataclass
class World:
    association: Party
    enterprise: Party
    enterprise_staff: User
    outsider: Party
    distributor: Party
    inspector: Party
    product: object
    lot: object
    report: object
    open_order: object
    scratch_order: object

    def code(self, order=None, index: int = 0) -> str:
        order = order or self.open_order
        return code_key(order.key_version).code(order.serial_start + index)

    def public_serial(self, order=None, index: int = 0) -> str:
        order = order or self.scratch_order
        return code_key(order.key_version).public_serial(order.serial_start + index)

    def parties(self) -> dict:
        return {
            "association": self.association,
            "enterprise": self.enterprise,
            "outsider": self.outsider,
            "distributor": self.distributor,
            "inspector": self.inspector,
        }


def build_world() -> World:
    forget_cached_keys()
    if not Division.objects.exists():  # emptied by a browser test's flush
        do_load_divisions()
    codes.ensure_key_ring()
    kinds = Organisation.Kind
    association = make_party(kinds.ASSOCIATION, "中国质量检验协会", "association")
    enterprise = make_party(kinds.ENTERPRISE, "珠海示例电器股份有限公司", "maker")
    staff = accounts.do_create_user(
        "maker-staff", enterprise.organisation, role=User.Role.STAFF, password=PASSWORD
    )
    outsider = make_party(kinds.ENTERPRISE, "别家食品有限公司", "outsider")
    distributor = make_party(kinds.DISTRIBUTOR, "华东经销有限公司", "distributor")
    inspector = make_party(kinds.INSPECTOR, "市场监督检验所", "inspector")
    product = catalog.do_create_product(
        enterprise.organisation,
        "6901234567892",
        "变频空调",
        name_en="Inverter air conditioner",
        specification="KFR-35GW",
        standard_number="GB/T 7725-2022",
        standard_name="房间空气调节器",
    )
    lot = catalog.do_create_lot(
        product, "L20260301", dt.date(2026, 3, 1), 5000, "珠海一厂", dt.date(2036, 3, 1)
    )
    report = catalog.do_attach_report(
        lot,
        "JY-2026-0042",
        "pass",
        "国家家用电器质量检验检测中心",
        dt.date(2026, 3, 5),
        pdf_upload(),
    )
    actor = enterprise.actor
    open_order = codes.do_create_label_order(actor, product, lot, 1000, "open")
    scratch_order = codes.do_create_label_order(actor, product, lot, 500, "scratch")
    for order in (open_order, scratch_order):
        trace.do_commission_order(actor, order)  # active: checks answer genuine
    return World(
        association,
        enterprise,
        staff,
        outsider,
        distributor,
        inspector,
        product,
        lot,
        report,
        open_order,
        scratch_order,
    )


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Messages made outside a request (actions, commands) in English, whatever an earlier
    test left active; pages still choose their language per request."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def anon() -> Client:
    return Client()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright; browser tests skip, saying why, without it."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        pytest.skip(f"browser tests need {CHROMIUM}: apt-get install -y chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # same test are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A page in a phone-sized viewport with a touch screen, in Chinese."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    yield page
    context.close()

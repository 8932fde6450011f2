"""A label programme from application to the consumer, in a real browser.

An enterprise applies, the association returns the application with a comment, the
enterprise fixes it, two reviewers approve, the enterprise orders labels under the
programme, a consumer checks one and reads the commitment, and anyone finds the
enterprise in the directory. Only the setting is made through the actions (the world,
the programme with its mark, a second reviewer); everything the people do goes through
the pages. The enterprise and the consumer read them in Chinese, the association's
reviewers in English.
"""

import io
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import re_path
from django.views.static import serve
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.models import User
from trustlabel.codes.keys import code_key
from trustlabel.codes.models import LabelOrder
from trustlabel.conftest import MINIMAL_PDF, PASSWORD, build_world
from trustlabel.integrity.models import Application, Certificate, CommitmentItem
from trustlabel.integrity.tests.conftest import make_programme
from trustlabel.urls import urlpatterns as project_urlpatterns

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the test
# makes itself stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# In production the web server serves uploaded files, and with DEBUG off the project's
# urls do not: this test serves them, so that the browser really loads the mark.
urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    *project_urlpatterns,
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(__name__),
]

COMMITMENT = {
    CommitmentItem.LAWS: "严格遵守《产品质量法》等法律法规和强制性国家标准。",
    CommitmentItem.QUALITY_SYSTEM: "按 ISO 9001 运行质量管理体系，记录保存十年。",
    CommitmentItem.KEY_PROCESSES: "压缩机装配和焊接工序全部由持证人员操作并逐台记录。",
    CommitmentItem.INSPECTION: "每台整机出厂前进行运转、电气安全和制冷量检验。",
    CommitmentItem.TRACEABILITY: "每台产品贴一物一码标签，可追溯到生产批次。",
    CommitmentItem.SAFETY: "全部产品通过 3C 认证，电气安全按 GB 4706.32 检验。",
    CommitmentItem.AFTER_SALES: "七天无理由退货。",
    CommitmentItem.COMPENSATION: "因产品质量造成损失的，先行赔付。",
    CommitmentItem.STANDARDS: "执行国家标准和高于国家标准的企业标准，并公开声明。",
}
# What the enterprise writes after the association returned the application.
AFTER_SALES_FIXED = "七天无理由退货，十五天包换，整机保修六年，接到报修后二十四小时内上门。"
RETURN_COMMENT = "售后服务承诺太笼统：请写明保修年限和上门服务的时限。"
SERVICE_PROMISE = "全国联保，400 热线全天有人接听"
ENTERPRISE_STANDARD = "Q/ZHSL 001-2025"


def mark_png() -> SimpleUploadedFile:
    """The programme's label mark: a red seal on white."""
    image = Image.new("RGB", (96, 96), "white")
    ImageDraw.Draw(image).ellipse((8, 8, 88, 88), outline=(200, 30, 30), width=8)
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile("mark-315.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def scene():
    """The world, an open programme with its mark, and a second reviewer for four eyes."""
    world = build_world()
    programme = make_programme(world.association.actor, mark=mark_png())
    accounts.do_create_user(
        "reviewer-2", world.association.organisation, role=User.Role.STAFF, password=PASSWORD
    )
    return world, programme


@pytest.fixture
def open_page(chromium):
    """Pages in browser contexts of their own (one person each), all closed at the end."""
    contexts = []

    def open_page(locale: str, phone: bool = False):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = chromium.new_context(
            viewport=size, locale=locale, is_mobile=phone, has_touch=phone
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base_url}/portal/catalog/products/")


def nav(page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def test_it_takes_an_enterprise_from_its_application_to_the_consumers_check(
    live_server, scene, open_page
):
    world, programme = scene
    base = live_server.url
    maker = open_page("zh-CN")
    sign_in(maker, base, "maker")
    application = apply(maker, world, programme)

    # The association returns it with a comment; the enterprise reads it and fixes it.
    first = open_page("en-US")
    sign_in(first, base, "association")
    open_from_queue(first, world)
    first.get_by_role("button", name="Start the review").click()
    expect(first.locator(".messages")).to_contain_text("The review is started.")
    first.get_by_role("button", name="Return for changes").click()
    expect(first.locator("#refusals")).to_contain_text(
        "Give the reason, so the enterprise knows what to do."
    )
    first.locator("#id_review-comment").fill(RETURN_COMMENT)
    first.get_by_role("button", name="Return for changes").click()
    expect(first.locator(".messages")).to_contain_text(
        "The application is returned to the enterprise."
    )
    fix_and_resubmit(maker, application)

    # Four eyes: the first reviewer's approval asks for a second; a tab the first reviewer
    # opened before approving cannot give the final one.
    open_from_queue(first, world)
    first.get_by_role("button", name="Start the review").click()
    expect(first.locator(".messages")).to_contain_text("The review is started.")
    stale_tab = first.context.new_page()
    stale_tab.goto(first.url)
    first.locator("#id_review-comment").fill("材料齐全，同意")
    first.get_by_role("button", name="Approve (first of two)").click()
    expect(first.locator(".messages")).to_contain_text(
        "Your approval is recorded: a second reviewer must now approve."
    )
    expect(first.locator("#four-eyes")).to_contain_text("a second reviewer must give the final")
    expect(first.get_by_role("button", name="Give the final approval")).to_have_count(0)
    stale_tab.get_by_role("button", name="Approve (first of two)").click()
    expect(stale_tab.locator("#refusals")).to_contain_text(
        "You gave the first approval: a second reviewer must give the final one."
    )
    application.refresh_from_db()
    assert application.status == Application.Status.SECOND_REVIEW

    second = open_page("en-US")
    sign_in(second, base, "reviewer-2")
    open_from_queue(second, world, first_approval_by="association")
    second.get_by_role("button", name="Give the final approval").click()
    expect(second.locator(".messages")).to_contain_text("The application is approved.")
    certificate = Certificate.objects.get(application=application)
    expect(second.locator("#certificate")).to_contain_text(certificate.number)

    # The enterprise sees its certificate, and orders labels under the programme.
    nav(maker, "证书")
    row = maker.locator("#certificates tbody tr", has_text=certificate.number)
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "valid")
    order = order_labels(maker, world, programme)

    consumer = open_page("zh-CN", phone=True)
    check_a_label(consumer, base, world, programme, order, certificate)
    find_in_directory(consumer, world, certificate)


def apply(page, world, programme) -> Application:
    """The enterprise applies, is refused twice with a clear message (nothing attached
    yet, a mistyped standard number), then completes the application and submits it."""
    nav(page, "标识活动")
    page.locator("#programmes").get_by_role("link", name=programme.name).click()
    page.locator("#apply").click()
    page.get_by_label(f"{world.product.name} ({world.product.gtin})").check()
    page.get_by_role("button", name="开始申请").click()
    expect(page.locator(".messages")).to_contain_text("申请已创建为草稿。")
    page.wait_for_url(re.compile(r"/applications/\d+/commitment/$"))
    application = Application.objects.get(organisation=world.enterprise.organisation)

    for item, how in COMMITMENT.items():
        page.locator(f"#id_{item}").fill(how)
    page.locator("#id_promises-0-topic").select_option("repair")
    page.locator("#id_promises-0-text").fill(SERVICE_PROMISE)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("承诺已保存。")

    # Submitted too early: the page says what is missing, in Chinese.
    page.get_by_role("button", name="提交协会审核").click()
    refusals = page.locator("#refusals")
    expect(refusals).to_contain_text("请上传必需的材料：营业执照。")
    expect(refusals).to_contain_text(f"请为{world.product.name}至少声明一项执行标准。")
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT

    covered = page.locator(".covered", has_text=world.product.gtin)
    covered.get_by_role("link", name="声明标准").click()
    page.locator("#id_kind").select_option("national")
    page.locator("#id_number").fill("GB 7725")
    page.locator("#id_name").fill("房间空气调节器")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("form .errorlist")).to_contain_text(
        "GB 7725 不是国家标准（GB）的编号，正确格式如 GB/T 7725-2022。"
    )
    page.locator("#id_number").fill("GB/T 7725-2022")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("标准已声明。")

    covered.get_by_role("link", name="声明标准").click()
    page.locator("#id_kind").select_option("enterprise")
    page.locator("#id_number").fill(ENTERPRISE_STANDARD)
    page.locator("#id_name").fill("变频空调器企业标准")
    indicators = [("能效比", "≥4.6", "W/W", "GB/T 7725"), ("噪声", "≤36", "dB(A)", "GB/T 4214.1")]
    for row, values in enumerate(indicators):
        for field, value in zip(("name", "value", "unit", "test_method"), values, strict=True):
            page.locator(f"#id_indicators-{row}-{field}").fill(value)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("标准已声明。")
    expect(covered).to_contain_text(ENTERPRISE_STANDARD)
    expect(covered).to_contain_text("≤36")

    page.locator("#steps").get_by_role("link", name="证明材料").click()
    page.locator("#id_kind").select_option("business_licence")
    page.locator("#id_title").fill("营业执照（副本）")
    page.locator("#id_file").set_input_files(
        files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}]
    )
    page.get_by_role("button", name="上传").click()
    expect(page.locator(".messages")).to_contain_text("材料已上传。")
    expect(page.locator("#documents")).to_contain_text("营业执照（副本）")

    page.get_by_role("link", name=f"{programme.name} · v1").click()
    expect(page.locator("#missing")).to_have_count(0)
    page.get_by_role("button", name="提交协会审核").click()
    expect(page.locator(".messages")).to_contain_text("申请已提交协会审核。")
    expect(page.locator("#status")).to_contain_text("已提交")
    return application


def open_from_queue(page, world, first_approval_by: str = "") -> None:
    nav(page, "Review queue")
    row = page.locator("#queue tbody tr", has_text=world.enterprise.organisation.name)
    if first_approval_by:
        expect(row).to_contain_text(first_approval_by)
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/portal/integrity/applications/\d+/$"))


def fix_and_resubmit(page, application) -> None:
    """The enterprise finds the comment on its application, rewrites the item and
    resubmits."""
    nav(page, "申请")
    page.locator("#applications").get_by_role("link").first.click()
    expect(page.locator("#status")).to_contain_text("已退回修改")
    expect(page.locator("#review-comment")).to_contain_text(RETURN_COMMENT)  # beside it
    returned = page.locator("#trail tr.step-return")
    expect(returned).to_contain_text("退回并附意见")
    expect(returned).to_contain_text(RETURN_COMMENT)

    page.locator("#steps").get_by_role("link", name="填写承诺").click()
    after_sales = page.locator(f"#id_{CommitmentItem.AFTER_SALES}")
    expect(after_sales).to_have_value(COMMITMENT[CommitmentItem.AFTER_SALES])
    after_sales.fill(AFTER_SALES_FIXED)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("承诺已保存。")
    expect(page.locator("#statements")).to_contain_text(AFTER_SALES_FIXED)
    page.locator("#id_submit-comment").fill("已补充保修年限和上门时限")
    page.get_by_role("button", name="重新提交").click()
    expect(page.locator(".messages")).to_contain_text("申请已提交协会审核。")
    expect(page.locator("#trail tr.step-resubmit")).to_contain_text("已补充保修年限和上门时限")
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def order_labels(page, world, programme) -> LabelOrder:
    nav(page, "标签订单")
    page.get_by_role("link", name="订购标签").click()
    page.locator("#id_product").select_option(str(world.product.pk))
    page.locator("#id_lot").select_option(str(world.lot.pk))
    page.locator("#id_quantity").fill("50")
    page.get_by_label("明码（二维码包含全部信息）").check()
    page.get_by_label("发放时").check()
    page.locator("#id_programme").select_option(str(programme.pk))
    page.get_by_role("button", name="提交订单").click()
    expect(page.locator(".messages")).to_contain_text("标签订单已创建。")
    expect(page.locator("#programme")).to_contain_text(programme.name)
    return LabelOrder.objects.get(programme=programme)


def check_a_label(page, base_url, world, programme, order, certificate) -> None:
    """A consumer scans one of the labels: genuine, with the programme's mark, what the
    enterprise promised and declared, and the certificate, which checks out."""
    code = code_key(order.key_version).code(order.serial_start)
    page.goto(f"{base_url}/01/{world.product.gtin}/21/{code}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "genuine")
    expect(page.locator(".verdict h1")).to_have_text("正品")
    promise = page.locator(f"section.promise[data-programme='{programme.code}']")
    expect(promise.locator("h2")).to_contain_text(programme.name)
    mark = promise.locator("img.mark")
    assert mark.get_attribute("src") == programme.mark.url
    mark.evaluate("img => img.decode()")  # fails unless the image loads
    assert mark.evaluate("img => img.naturalWidth") == 96

    expect(promise).to_contain_text("生产企业的承诺")
    expect(promise).to_contain_text(AFTER_SALES_FIXED)
    expect(promise).to_contain_text(COMMITMENT[CommitmentItem.TRACEABILITY])
    expect(promise).to_contain_text(SERVICE_PROMISE)
    expect(promise).to_contain_text("产品执行的标准")
    standard = promise.locator("details.standard", has_text=ENTERPRISE_STANDARD)
    standard.locator("summary").click()
    indicator = standard.locator("tr", has_text="能效比")
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("≥4.6 W/W")
    expect(promise.locator("details.standard", has_text="GB/T 7725-2022")).to_have_count(1)
    page.screenshot(path=str(_artifacts() / "integrity-consumer-promise.png"), full_page=True)

    link = promise.locator("[data-certificate]")
    expect(link).to_have_text(certificate.number)
    link.click()
    page.wait_for_url(re.compile(r"/integrity/certificates/"))
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "valid")
    expect(page.locator(".verdict h1")).to_have_text("真实证书，有效")
    expect(page.locator("main")).to_contain_text(world.enterprise.organisation.name)


def find_in_directory(page, world, certificate) -> None:
    """Anyone searches the directory for part of the enterprise's Chinese name and reads
    its commitment and certificate there."""
    page.get_by_role("link", name="诚信承诺企业名录").click()
    page.locator("#id_q").fill("示例")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#count")).to_have_text("找到 1 家企业")
    results = page.locator("#enterprises")
    results.get_by_role("link", name=world.enterprise.organisation.name).click()

    expect(page.locator("h1")).to_have_text(world.enterprise.organisation.name)
    listing = page.locator("section.programme")
    expect(listing).to_contain_text("承诺（第 1 版）")
    expect(listing).to_contain_text(AFTER_SALES_FIXED)
    expect(listing).to_contain_text(ENTERPRISE_STANDARD)
    expect(listing.get_by_role("link", name=certificate.number)).to_be_visible()
    expect(listing.locator(".badge.state-valid")).to_have_text("有效")


def _artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-results"
    path.mkdir(exist_ok=True)
    return path

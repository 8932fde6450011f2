"""The trace pages in a real browser: a distributor's phone scans a case label with its
camera, the enterprise works through a diversion alert and opens a recall, an inspector
checks a product on site."""

import os
from pathlib import Path

import numpy as np
import pytest
import segno

from trustlabel.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, build_world
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.trace import actions as trace
from trustlabel.trace.labels import label_epc
from trustlabel.trace.models import DiversionAlert, Event, Recall
from trustlabel.trace.tests.test_logistics import sscc
from trustlabel.verify.core import CheckContext, verify

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def camera_file(path: Path, text: str) -> Path:
    """A video for Chromium's fake camera (YUV4MPEG2, 4:2:0): a QR code of `text` on
    white, as a phone held over a case label sees it."""
    qr = segno.make(text, error="m")
    modules = np.array([[0 if dark else 255 for dark in row] for row in qr.matrix], dtype=np.uint8)
    modules = np.pad(modules, 4, constant_values=255)  # the quiet zone
    scale = 400 // modules.shape[0]
    image = np.kron(modules, np.ones((scale, scale), dtype=np.uint8))
    width, height = 640, 480
    luma = np.full((height, width), 255, dtype=np.uint8)
    top, left = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    luma[top : top + image.shape[0], left : left + image.shape[1]] = image
    chroma = np.full((height // 2, width // 2), 128, dtype=np.uint8).tobytes()
    frame = b"FRAME\n" + luma.tobytes() + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)
    return path


def sign_in(page, base_url: str, username: str, lands_on: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{lands_on}")


@pytest.fixture
def shipped():
    """A world whose distributor (selling in Jiangsu) was shipped a case of 12 items."""
    world = build_world()
    do_set_sales_regions(world.distributor.organisation, ["320000"])
    maker = world.enterprise.actor
    items = [label_epc(world.open_order, world.open_order.serial_start + i) for i in range(12)]
    trace.do_pack(maker, sscc(1), items)
    trace.do_move(maker, trace.Step.SHIP, [sscc(1)], world.distributor.organisation)
    return world


def test_it_receives_a_case_scanned_with_the_phone_camera(live_server, shipped, chromium, tmp_path):
    video = camera_file(tmp_path / "case.y4m", sscc(1))
    # A browser of its own, with the video as its camera (the same Playwright session).
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale="en-US",
            permissions=["camera"],
        )
        page = context.new_page()
        page.set_default_timeout(60_000)  # the WebAssembly reader loads slowly on a busy machine
        sign_in(page, live_server.url, "distributor", "/portal/trace/scan/")
        page.get_by_role("button", name="Scan with the camera").click()
        page.wait_for_function(
            "document.querySelector('textarea[name=codes]').value.includes('/00/')"
        )
        assert page.locator("#scanned-count").inner_text() == "1"
        page.screenshot(path=str(_artifacts() / "trace-scan-phone.png"), full_page=True)
        page.get_by_role("button", name="Record", exact=True).click()
        page.wait_for_selector("tr.just-done")
        assert "Recorded: Receive, 1 label." in page.locator(".messages").inner_text()
    finally:
        browser.close()
    received = Event.objects.get(biz_step="receiving")
    assert received.body["epcList"] == [sscc(1)]


def test_it_works_through_an_alert_and_opens_a_recall(live_server, shipped, chromium):
    world = shipped
    verify(world.code(index=3), CheckContext(lat=23.1291, lon=113.3240))  # in Guangzhou
    alert = DiversionAlert.objects.get()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "maker", "/portal/catalog/products/")

    page.get_by_role("navigation").get_by_role("link", name="Diversion alerts").click()
    row = page.locator("#alerts tbody tr").first
    assert "华东经销有限公司" in row.inner_text() and "Guangdong" in row.inner_text()
    row.get_by_role("link").click()
    assert "Jiangsu" in page.locator("#evidence").inner_text()
    page.locator("#id_state").select_option("confirmed")
    page.get_by_role("button", name="Save").click()
    assert "Say why, in a note." in page.locator("#decide").inner_text()
    page.locator("#id_note").fill("经销商已承认")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(".messages")
    alert.refresh_from_db()
    assert alert.state == "confirmed"

    page.get_by_role("navigation").get_by_role("link", name="Recalls").click()
    page.get_by_role("link", name="Open a recall").click()
    page.get_by_label(f"{world.product.name} · {world.lot.lot_number}", exact=False).check()
    page.locator("#id_reason").fill("插头绝缘层可能破损")
    page.locator("#id_hazard").fill("触电危险")
    page.locator("#id_instructions").fill("请停止使用并联系客服")
    page.locator("#id_contact").fill("400-800-1234")
    page.get_by_role("button", name="Open the recall").click()
    page.wait_for_selector("#progress")
    assert Recall.objects.get().is_open
    destinations = page.locator("#destinations").inner_text()
    assert "华东经销有限公司" in destinations and "Jiangsu" in destinations and "12" in destinations
    page.screenshot(path=str(_artifacts() / "trace-recall.png"), full_page=True)
    context.close()


def test_it_tells_an_inspector_a_product_is_outside_its_region(live_server, shipped, chromium):
    world = shipped
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "inspector", "/portal/trace/inspect/")
    page.locator("#id_code").fill(world.code(index=4))
    page.locator("#id_region").fill("440106")
    page.get_by_role("button", name="Check", exact=True).click()
    result = page.locator("#inspect-result")
    result.wait_for()
    assert "Genuine, but outside its sales region" in result.inner_text()
    assert "华东经销有限公司" in page.locator("#diversion-evidence").inner_text()
    context.close()


def _artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-results"
    path.mkdir(exist_ok=True)
    return path


def test_a_consumer_shares_where_the_product_was_checked(live_server, shipped, chromium):
    world = shipped
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        permissions=["geolocation"],
        geolocation={"latitude": 23.1291, "longitude": 113.3240, "accuracy": 25},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/01/{world.product.gtin}/21/{world.code(index=6)}")
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "genuine"
    assert "Shipped" in page.locator("#journey").inner_text()
    assert "华东经销有限公司" not in page.content()
    page.get_by_role("button", name="Share my location").click()
    page.get_by_text("Thank you").wait_for()
    alert = DiversionAlert.objects.get()
    assert (alert.observed_region, alert.observed_source) == ("440000", "gps")
    context.close()

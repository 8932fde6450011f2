"""The enterprise portal in a real browser: from signing in to the downloaded print file."""

import io
import os
import zipfile
from pathlib import Path

import pytest

from trustlabel.codes.models import Export, LabelOrder
from trustlabel.conftest import PASSWORD, build_world
from trustlabel.verify.core import CheckContext, verify

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the test
# makes itself stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(chromium):
    """A desktop-sized page that asks for English and accepts downloads."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/portal/catalog/products/")


def test_it_orders_labels_and_downloads_the_print_file(live_server, desk):
    world = build_world()
    page = desk
    sign_in(page, live_server.url, "maker")
    assert page.get_by_role("link", name=world.product.name).is_visible()

    page.get_by_role("navigation").get_by_role("link", name="Label orders").click()
    page.get_by_role("link", name="Order labels").click()
    page.locator("#id_product").select_option(str(world.product.pk))
    page.locator("#id_lot").select_option(str(world.lot.pk))
    page.locator("#id_quantity").fill("20")
    page.get_by_label("Open (the QR code carries everything)").check()
    page.get_by_role("button", name="Place order").click()

    order = LabelOrder.objects.get(quantity=20)
    page.wait_for_url(f"{live_server.url}/portal/codes/orders/{order.pk}/")
    assert page.locator("#serial-count").inner_text() == "20"

    page.get_by_label("CSV for printing houses (zipped)").check()
    page.get_by_role("button", name="Request export").click()
    # Made at once here; in production the page reloads itself until it is ready.
    download_button = page.locator("#exports").get_by_role("button", name="Download")
    download_button.wait_for(timeout=30_000)
    assert "Ready to download" in page.locator("#exports").inner_text()
    page.screenshot(path=str(_artifacts() / "portal-order-ready.png"), full_page=True)

    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    text = archive.read(archive.namelist()[0]).decode("utf-8-sig").replace(" ", "")
    assert all(world.code(order, i) in text for i in range(20))
    assert Export.objects.get(order=order).status == Export.Status.DOWNLOADED

    page.reload()
    assert "Downloaded and deleted" in page.locator("#exports").inner_text()
    assert page.locator("#exports").get_by_role("button", name="Download").count() == 0


def test_it_charts_the_scan_log(live_server, desk):
    world = build_world()
    for index in range(3):
        verify(world.code(index=index), CheckContext(channel="qr"))
    sign_in(desk, live_server.url, "maker")
    desk.get_by_role("navigation").get_by_role("link", name="Scan log").click()
    desk.locator("#scan-chart canvas").wait_for()
    assert desk.locator("#scans tbody tr").count() == 3
    desk.screenshot(path=str(_artifacts() / "portal-scan-log.png"), full_page=True)


def _artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-results"
    path.mkdir(exist_ok=True)
    return path

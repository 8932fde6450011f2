"""The consumer's path in a real browser on a phone-sized screen."""

import pytest

from trustlabel.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_a_scanned_code_as_genuine_then_counts_the_next_check(live_server, phone):
    world = build_world()
    url = f"{live_server.url}/01/{world.product.gtin}/21/{world.code(index=0)}"

    phone.goto(url)
    verdict = phone.locator("[data-verdict]")
    assert verdict.get_attribute("data-verdict") == "genuine"
    assert phone.locator("html").get_attribute("lang") == "zh-hans"
    assert world.product.name in phone.content()
    # Nothing wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.reload()
    assert verdict.get_attribute("data-verdict") == "genuine_checked_before"
    assert phone.locator("[data-check-count]").get_attribute("data-check-count") == "2"

    phone.get_by_role("button", name="English").click()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert "Inverter air conditioner" in phone.content()


def test_it_checks_a_typed_code_and_explains_a_typo(live_server, phone):
    world = build_world()
    code = world.code(index=1)
    phone.goto(f"{live_server.url}/verify")
    phone.locator("#code").fill(" ".join(code[i : i + 4] for i in range(0, 20, 4)))
    phone.locator("form.check button").click()
    assert phone.locator("[data-verdict]").get_attribute("data-verdict") == "genuine"

    phone.goto(f"{live_server.url}/verify")
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    phone.locator("#code").fill(typo)
    phone.locator("form.check button").click()
    assert phone.locator("[data-verdict]").get_attribute("data-verdict") == "mistyped"


def test_it_takes_the_hidden_code_of_a_scratch_off_label(live_server, phone):
    world = build_world()
    order = world.scratch_order
    phone.goto(f"{live_server.url}/01/{world.product.gtin}/21/{world.public_serial(index=3)}")
    assert phone.locator("[data-verdict]").get_attribute("data-verdict") == "pin_required"
    phone.locator("#pin").fill(world.code(order=order, index=3))
    phone.locator("form.check button").click()
    assert phone.locator("[data-verdict]").get_attribute("data-verdict") == "genuine"
    phone.screenshot(path=str(_artifacts() / "consumer-genuine.png"), full_page=True)


def _artifacts():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "test-results"
    path.mkdir(exist_ok=True)
    return path

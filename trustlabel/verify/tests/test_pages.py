"""The consumer pages: phone-first, no JavaScript, small, clear about every verdict."""

import re

import pytest
from django.urls import reverse

from trustlabel.verify.models import ScanLog

PAGE_BUDGET = 100 * 1024


def link_path(world, code: str) -> str:
    return f"/01/{world.product.gtin}/21/{code}"


def verdict_of(response) -> str:
    html = response.content.decode()
    start = html.index('data-verdict="') + len('data-verdict="')
    return html[start : html.index('"', start)]


def assert_light(response) -> None:
    """Small, and whole without JavaScript: the only script is a short inline one that
    offers to share the location (it needs the browser's geolocation), nothing loaded."""
    assert len(response.content) < PAGE_BUDGET
    scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", response.content, re.S)
    assert all(b"src" not in attributes for attributes, _ in scripts)
    assert sum(len(body) for _, body in scripts) < 1500


def test_it_shows_the_form_to_anyone(anon):
    response = anon.get(reverse("verify:form"))
    assert response.status_code == 200
    assert b'name="code"' in response.content
    assert_light(response)


def test_it_opens_the_qr_link_and_counts_each_check(world, anon):
    path = link_path(world, world.code(index=1))
    first = anon.get(path)
    assert first.status_code == 200
    assert verdict_of(first) == "genuine"
    assert_light(first)
    html = first.content.decode()
    for shown in (
        world.product.name,
        world.lot.lot_number,
        "2026-03-01",
        "2036-03-01",
        world.product.organisation.name,
        world.report.report_number,
        world.report.inspector_name,
        world.product.specification,
    ):
        assert shown in html
    second = anon.get(path)
    assert verdict_of(second) == "genuine_checked_before"
    assert 'data-check-count="2"' in second.content.decode()


def test_it_checks_a_typed_code(world, anon):
    code = world.code(index=2)
    response = anon.post(reverse("verify:form"), {"code": f" {code[:10]} {code[10:]} "})
    assert verdict_of(response) == "genuine"
    assert ScanLog.objects.get().channel == "web"


def test_it_warns_plainly_about_a_mistyped_code(world, anon):
    code = world.code(index=3)
    swapped = code[:4] + code[5] + code[4] + code[6:]
    if swapped == code:
        pytest.skip("the two digits are equal")
    response = anon.post(reverse("verify:form"), {"code": swapped})
    assert verdict_of(response) == "mistyped"


@pytest.mark.parametrize(
    "raw",
    ["", "letters and digits 123", "9" * 400, "https://evil.example.com/01/06901234567892/21/1"],
)
def test_it_answers_bad_input_with_a_message_and_keeps_nothing(world, anon, raw):
    response = anon.post(reverse("verify:form"), {"code": raw})
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert not ScanLog.objects.exists()


def test_it_asks_for_the_hidden_code_of_a_scratch_off_label(world, anon):
    order = world.scratch_order
    path = link_path(world, world.public_serial(index=4))
    page = anon.get(path)
    assert verdict_of(page) == "pin_required"
    assert b'name="pin"' in page.content
    right = anon.post(path, {"pin": world.code(order=order, index=4)})
    assert verdict_of(right) == "genuine"
    wrong = anon.post(path, {"pin": world.code(order=order, index=5)})
    assert verdict_of(wrong) == "unknown"


def test_it_says_too_many_attempts_instead_of_a_verdict(world, anon, settings):
    settings.TRUSTLABEL_RATE_PER_CLIENT = 2
    for index in range(2):
        anon.post(reverse("verify:form"), {"code": world.code(index=10 + index)})
    response = anon.post(reverse("verify:form"), {"code": world.code(index=12)})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert b"data-verdict" not in response.content


def test_it_does_not_count_link_previews(world, anon):
    path = link_path(world, world.code(index=6))
    anon.get(path, HTTP_USER_AGENT="Mozilla/5.0 (compatible; Googlebot/2.1)")
    anon.head(path)
    assert not ScanLog.objects.exists()


def test_it_speaks_chinese_first_and_english_on_request(world, anon):
    path = link_path(world, world.code(index=7))
    chinese = anon.get(path)
    assert 'lang="zh-hans"' in chinese.content.decode()
    anon.post(reverse("set_language"), {"language": "en", "next": path})
    english = anon.get(path)
    html = english.content.decode()
    assert 'lang="en"' in html
    assert "Genuine product" in html
    assert world.product.name_en in html


def test_it_serves_the_inspection_report_to_anyone(world, anon):
    response = anon.get(reverse("verify:report", args=[world.report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_it_gives_the_same_verdict_whoever_is_signed_in(world):
    code = world.code(index=8)
    kinds = [
        verdict_of(party.client().get(link_path(world, code))) for party in world.parties().values()
    ]
    assert kinds == ["genuine"] + ["genuine_checked_before"] * 4

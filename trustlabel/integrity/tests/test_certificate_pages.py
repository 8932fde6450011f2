"""The certificate pages of the portal (list, detail with revocation, PDFs, batches), the
public check page and its JSON API, as every role; and the check's rate limit."""

import datetime as dt

import pytest
from django.test import Client

from trustlabel.accounts.tests.roles import ROLES, client_for, get_as, headers_for
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions import certificates
from trustlabel.integrity.models import Certificate, CertificateBatch
from trustlabel.integrity.tests.conftest import approved_application, make_programme
from trustlabel.integrity.views.certificates import CHECKS_PER_CLIENT
from trustlabel.ledger.actions import do_integrate


@pytest.fixture(autouse=True)
def checks_unlimited(monkeypatch):
    monkeypatch.setattr(CHECKS_PER_CLIENT, "count", 10**6)


@pytest.fixture
def batch_programme(world):
    return make_programme(world.association.actor, code="qm-2026", issue_on_approval=False)


@pytest.fixture
def scene(world, approved, batch_programme, reviewers, django_capture_on_commit_callbacks):
    """The enterprise's certificate, and a batch of another programme still queued."""
    approved_application(world, batch_programme, reviewers)
    with django_capture_on_commit_callbacks(execute=False):
        batch = certificates.do_request_certificate_batch(world.association.actor, batch_programme)
    certificate = approved.certificate
    return {
        "cert": certificate.pk,
        "number": certificate.number,
        "programme": approved.programme_id,
        "batch": batch.pk,
    }


# anonymous, admin, staff, outsider, distributor, inspector, association
LISTED = (302, 200, 200, 200, 403, 403, 200)  # each enterprise lists its own
READ = (302, 200, 200, 404, 403, 403, 200)
PAGES = {
    "/portal/integrity/certificates/": LISTED,
    "/portal/integrity/certificates/?programme={programme}&state=valid&enterprise=": LISTED,
    "/portal/integrity/certificates/?programme=nonsense&state=shiny": LISTED,
    "/portal/integrity/certificates/{cert}/": READ,
    "/portal/integrity/certificates/{cert}/pdf/": READ,
    "/portal/integrity/certificates/{cert}/pdf/?lang=en": READ,
    "/portal/integrity/certificates/{cert}/pdf/?lang=fr": (302, 400, 400, 404, 403, 403, 400),
    "/portal/integrity/certificates/99999/": (302, 404, 404, 404, 403, 403, 404),
    "/portal/integrity/certificates/batches/": (302, 403, 403, 403, 403, 403, 200),
    "/portal/integrity/certificates/batches/{batch}/": (302, 403, 403, 403, 403, 403, 200),
    "/portal/integrity/certificates/batches/99999/": (302, 403, 403, 403, 403, 403, 404),
    "/integrity/certificates/{number}/": (200,) * 7,
    "/integrity/certificates/{number}/pdf/": (200,) * 7,
    "/integrity/certificates/{number}/pdf/?lang=en": (200,) * 7,
    "/integrity/certificates/NOT-OURS-00001/": (404,) * 7,
    "/integrity/certificates/NOT-OURS-00001/pdf/": (404,) * 7,
}


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, scene, url, role):
    response = get_as(world, role, url.format(**scene), PAGES[url])
    if response.status_code == 200 and "/pdf/" in url:
        assert response["Content-Type"] == "application/pdf"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(b"%PDF")


@pytest.mark.parametrize("role", ROLES)
def test_the_check_api_answers_everyone(world, scene, role):
    response = Client().get(
        f"/api/v1/certificates/{scene['number']}", headers=headers_for(world, role)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == scene["number"]
    assert body["genuine"] is True
    assert body["state"] == "valid"
    assert body["holder"]["name"] == "珠海示例电器股份有限公司"
    assert body["products"] == [
        {"gtin": world.product.gtin, "name": "变频空调", "name_en": "Inverter air conditioner"}
    ]


REVOKE = {  # who may revoke: the association only
    "anonymous": 302,
    "admin": 403,
    "staff": 403,
    "outsider": 404,
    "distributor": 403,
    "inspector": 403,
    "association": 302,
}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_association_revokes(world, scene, role):
    url = f"/portal/integrity/certificates/{scene['cert']}/"
    response = client_for(world, role).post(url, {"reason": "虚假宣传，违背承诺"})
    assert response.status_code == REVOKE[role]
    certificate = Certificate.objects.get(pk=scene["cert"])
    assert (certificate.revoked_at is not None) == (role == "association")
    if role == "association":
        assert response["Location"] == url
        assert certificate.revocation_reason == "虚假宣传，违背承诺"
        assert certificate.revoked_by == world.association.user


@pytest.mark.parametrize("role", ROLES)
def test_only_the_association_starts_a_batch(world, approved, batch_programme, reviewers, role):
    approved_application(world, batch_programme, reviewers)
    response = client_for(world, role).post(
        "/portal/integrity/certificates/batches/", {"programme": batch_programme.pk}
    )
    expected = {**REVOKE, "outsider": 403}[role]
    assert response.status_code == expected
    batches = CertificateBatch.objects.all()
    assert len(batches) == (1 if role == "association" else 0)
    if role == "association":
        assert response["Location"] == f"/portal/integrity/certificates/batches/{batches[0].pk}/"


def test_revocation_needs_a_reason_and_happens_once(world, scene):
    client = client_for(world, "association")
    url = f"/portal/integrity/certificates/{scene['cert']}/"
    refused = client.post(url, {"reason": "   "})
    assert refused.status_code == 200
    assert "This field is required." in refused.text
    assert Certificate.objects.get(pk=scene["cert"]).revoked_at is None
    assert 'id="revoke"' in client.get(url).text
    client.post(url, {"reason": "承诺未履行"})
    page = client.get(url)
    assert 'data-state="revoked"' in page.text
    assert 'id="revoke"' not in page.text  # nothing left to revoke
    again = client.post(url, {"reason": "又一次"})
    assert again.status_code == 200
    assert "already revoked" in again.text
    assert Certificate.objects.get(pk=scene["cert"]).revocation_reason == "承诺未履行"


def test_the_enterprise_sees_its_own_certificates_and_no_revoke_form(world, scene):
    page = client_for(world, "admin").get(f"/portal/integrity/certificates/{scene['cert']}/")
    assert scene["number"] in page.text
    assert 'id="revoke"' not in page.text
    assert scene["number"] in client_for(world, "staff").get("/portal/integrity/certificates/").text
    outsider = client_for(world, "outsider").get("/portal/integrity/certificates/")
    assert scene["number"] not in outsider.text
    assert "No certificates match." in outsider.text


def test_the_list_filters_by_state_and_programme(world, scene):
    client = client_for(world, "association")
    base = "/portal/integrity/certificates/"
    assert scene["number"] in client.get(f"{base}?state=valid").text
    assert scene["number"] not in client.get(f"{base}?state=revoked").text
    certificates.do_revoke_certificate(
        world.association.actor, Certificate.objects.get(pk=scene["cert"]), "撤销"
    )
    assert scene["number"] in client.get(f"{base}?state=revoked").text
    assert scene["number"] not in client.get(f"{base}?state=valid").text
    other = make_programme(world.association.actor, code="other-2026")
    assert scene["number"] not in client.get(f"{base}?programme={other.pk}").text
    assert scene["number"] in client.get(f"{base}?programme={scene['programme']}").text


def test_the_pdf_downloads_are_the_stored_chinese_one_and_an_english_one(world, scene):
    certificate = Certificate.objects.get(pk=scene["cert"])
    with certificate.pdf.open("rb") as f:
        stored = f.read()
    for url in (
        f"/portal/integrity/certificates/{scene['cert']}/pdf/",
        f"/integrity/certificates/{scene['number']}/pdf/",
    ):
        response = client_for(world, "admin").get(url)
        assert b"".join(response.streaming_content) == stored
        assert f'filename="{scene["number"]}.pdf"' in response["Content-Disposition"]
        english = client_for(world, "admin").get(url + "?lang=en")
        assert english.content.startswith(b"%PDF") and english.content != stored
        assert f'filename="{scene["number"]}-en.pdf"' in english["Content-Disposition"]


def test_the_batch_page_follows_its_progress(world, scene, django_capture_on_commit_callbacks):
    client = client_for(world, "association")
    url = f"/portal/integrity/certificates/batches/{scene['batch']}/"
    waiting = client.get(url)
    assert 'http-equiv="refresh"' in waiting.text
    assert 'data-status="queued"' in waiting.text
    certificates.do_run_certificate_batch(scene["batch"])
    done = client.get(url)
    assert 'http-equiv="refresh"' not in done.text
    assert 'data-status="done"' in done.text
    assert "1 of 1 issued" in done.text


def test_a_batch_started_from_its_page_issues_the_certificates(
    world, approved, batch_programme, reviewers, django_capture_on_commit_callbacks
):
    application = approved_application(world, batch_programme, reviewers)
    client = client_for(world, "association")
    page = client.get("/portal/integrity/certificates/batches/")
    assert batch_programme.name in page.text  # owed one certificate
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/portal/integrity/certificates/batches/", {"programme": batch_programme.pk}
        )
    assert Certificate.objects.filter(application=application).exists()
    assert 'data-status="done"' in client.get(response["Location"]).text
    refused = client.post(
        "/portal/integrity/certificates/batches/", {"programme": batch_programme.pk}
    )
    assert refused.status_code == 200
    assert "already has its certificate" in refused.text


def test_the_check_page_shows_the_ledger_entry_and_the_facts(world, scene, anon):
    do_integrate()
    page = anon.get(f"/integrity/certificates/{scene['number']}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Recorded in the public ledger at index" in page.text
    certificate = Certificate.objects.get(pk=scene["cert"])
    assert certificate.pdf_sha256 in page.text
    assert world.product.gtin in page.text
    assert certificate.valid_until.isoformat() in page.text
    assert f'href="/integrity/certificates/{scene["number"]}/pdf/"' in page.text


def test_an_unknown_number_is_plainly_not_ours(world, anon):
    page = anon.get("/integrity/certificates/315-2026-99999/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404
    assert "Not a certificate of ours" in page.text
    assert "315-2026-99999" in page.text
    api = anon.get("/api/v1/certificates/315-2026-99999", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"


def test_the_api_says_revoked_with_the_reason_and_its_ledger_indexes(world, scene, anon):
    certificate = Certificate.objects.get(pk=scene["cert"])
    certificates.do_revoke_certificate(world.association.actor, certificate, "质量抽检不合格")
    do_integrate()
    body = anon.get(f"/api/v1/certificates/{scene['number'].lower()}").json()
    assert body["number"] == scene["number"]  # found as printed, whatever the case
    assert body["state"] == "revoked"
    assert body["revocation_reason"] == "质量抽检不合格"
    assert isinstance(body["ledger_index"], int)
    assert body["revocation_ledger_index"] > body["ledger_index"]
    assert body["pdf_sha256"] == certificate.pdf_sha256
    assert body["check_url"].endswith(f"/integrity/certificates/{scene['number']}/")


def test_the_api_names_the_newer_certificate(world, approved, reviewers, anon):
    maker = world.enterprise.actor
    revision = flow.do_start_revision(maker, approved)
    flow.do_submit(maker, revision)
    first, second = reviewers
    flow.do_start_review(first, revision)
    flow.do_approve(first, revision)
    flow.do_approve(second, revision)
    body = anon.get(f"/api/v1/certificates/{approved.certificate.number}").json()
    assert body["state"] == "superseded"
    assert body["superseded_by"] == Certificate.objects.get(application=revision).number


def test_checks_are_rate_limited_per_client_address(world, scene, monkeypatch):
    monkeypatch.setattr(CHECKS_PER_CLIENT, "count", 3)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    page = f"/integrity/certificates/{scene['number']}/"
    api = f"/api/v1/certificates/{scene['number']}"
    assert client.get(page).status_code == 200
    assert client.get(api).status_code == 200
    assert client.get(page).status_code == 200
    refused = client.get(page)
    assert refused.status_code == 429
    assert "Too many certificate checks from your address" in refused.text
    assert int(refused["Retry-After"]) > 0
    refused = client.get(api)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "Too many certificate checks" in refused.json()["detail"]
    assert client.get(f"{page}pdf/").status_code == 429
    # Another address is not held up by this one.
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.4")
    assert other.get(page).status_code == 200


def test_link_previews_may_ask_for_the_check_page_head(world, scene, anon):
    response = anon.head(f"/integrity/certificates/{scene['number']}/")
    assert response.status_code == 200
    assert anon.post(f"/integrity/certificates/{scene['number']}/").status_code == 405


def test_the_state_filter_agrees_with_the_state_a_certificate_shows(world, approved):
    """Certificate.in_state (the list's filter, the directory's and the promises') and
    Certificate.state() (the check page's) on the days around its validity."""
    certificate = approved.certificate
    days = [
        certificate.valid_from + dt.timedelta(days=offset)
        for offset in (-1, 0, 1, (certificate.valid_until - certificate.valid_from).days + 1)
    ] + [certificate.valid_until]

    def filtered(day):
        return [
            state
            for state in Certificate.State.values
            if Certificate.objects.filter(Certificate.in_state(state, day), pk=certificate.pk)
        ]

    seen = {day: filtered(day) for day in days}
    shown = {day: [certificate.state(day)] for day in days}
    certificates.do_revoke_certificate(world.association.actor, certificate, "撤销")
    certificate.refresh_from_db()

    assert [seen[day] for day in days] == [
        ["not_yet_valid"],
        ["valid"],
        ["valid"],
        ["expired"],
        ["valid"],
    ]
    assert seen == shown
    assert all(filtered(day) == ["revoked"] == [certificate.state(day)] for day in days)

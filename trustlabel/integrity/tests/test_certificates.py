"""Certificates: the PDF (its QR code read by a real decoder, its text, its hash in the
ledger), revocation, replacement by a revision, expiry, and issuing a programme's
certificates in a batch."""

import datetime as dt
import hashlib
import json
from concurrent.futures import Future

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from stdnum.ean import calc_check_digit

from trustlabel.accounts.models import Organisation
from trustlabel.catalog import actions as catalog
from trustlabel.conftest import make_party
from trustlabel.integrity import certificate_pdf
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions import certificates, do_update_member
from trustlabel.integrity.models import Application, Certificate, CertificateBatch
from trustlabel.integrity.tests.conftest import (
    approved_application,
    fill_application,
    make_programme,
    png_upload,
)
from trustlabel.integrity.views.certificates import CHECKS_PER_CLIENT
from trustlabel.ledger.records import entry_of

USCC = "91440400192548256N"


@pytest.fixture(autouse=True)
def checks_unlimited(monkeypatch):
    monkeypatch.setattr(CHECKS_PER_CLIENT, "count", 10**6)


def pdf_pages(data: bytes, scale: float = 300 / 72):
    """Each page as an image (as a phone's camera would see the printout) and its text."""
    for page in pdfium.PdfDocument(data):
        yield page.render(scale=scale).to_pil(), page.get_textpage().get_text_range()


def stored_pdf(certificate: Certificate) -> bytes:
    with certificate.pdf.open("rb") as f:
        return f.read()


def check_path(url: str, settings) -> str:
    assert url.startswith(settings.TRUSTLABEL_BASE_URL)
    return url.removeprefix(settings.TRUSTLABEL_BASE_URL)


def ledger_record(certificate: Certificate, kind: str) -> dict:
    return json.loads(bytes(entry_of(certificate, kind).data))


def test_its_qr_code_opens_the_check_page_valid_then_revoked(world, approved, anon, settings):
    certificate = approved.certificate
    ((image, _text),) = list(pdf_pages(stored_pdf(certificate)))
    (barcode,) = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert (
        barcode.text
        == f"{settings.TRUSTLABEL_BASE_URL}/integrity/certificates/{certificate.number}/"
    )
    path = check_path(barcode.text, settings)

    page = anon.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert 'data-state="valid"' in page.text
    assert "Genuine certificate, valid" in page.text
    assert world.enterprise.organisation.name_en in page.text  # the holder, in English

    certificates.do_revoke_certificate(
        world.association.actor, certificate, "抽检不合格，承诺未履行"
    )
    page = anon.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-state="revoked"' in page.text
    assert "抽检不合格，承诺未履行" in page.text
    assert timezone.localdate().isoformat() in page.text


def test_the_pdf_is_in_chinese_and_names_the_certificate(world, approved):
    do_update_member(world.association.actor, world.enterprise.organisation.member, uscc=USCC)
    certificate = Certificate.objects.get(application=approved)
    data = certificate_pdf.render_certificate(certificate)
    ((_image, text),) = list(pdf_pages(data, scale=1))
    assert certificate.number in text
    assert "珠海示例电器股份有限公司" in text
    assert USCC in text
    assert approved.programme.name in text
    assert world.product.gtin in text and "变频空调" in text
    assert approved.content_sha256 in text
    assert "中国质量检验协会" in text  # the issuing association
    assert approved.programme.name_en not in text


def test_the_english_pdf_is_made_on_request(world, approved):
    certificate = approved.certificate
    data = certificate_pdf.render_certificate(certificate, "en")
    ((image, text),) = list(pdf_pages(data))
    assert "Certificate" in text
    assert certificate.number in text
    assert approved.programme.name_en in text
    assert "Inverter air conditioner" in text
    assert world.enterprise.organisation.name_en in text
    assert "珠海示例电器股份有限公司" not in text
    # The same QR code as the Chinese one.
    (barcode,) = zxingcpp.read_barcodes(image)
    assert barcode.text == certificate_pdf.check_url(certificate.number)
    assert data != stored_pdf(certificate)


def test_the_ledger_holds_the_sha256_of_the_stored_pdf(approved):
    certificate = approved.certificate
    pdf = stored_pdf(certificate)
    assert pdf.startswith(b"%PDF")
    assert certificate.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    record = ledger_record(certificate, "certificate")
    assert record["pdf_sha256"] == certificate.pdf_sha256
    assert record["certificate"] == certificate.number
    assert record["commitment_sha256"] == approved.content_sha256
    assert record["gtins"] == [approved.covered_products.get().product.gtin]
    # Deterministic: rendering it again from the records gives the same bytes.
    assert certificate_pdf.render_certificate(certificate) == pdf


def test_revocation_is_in_the_ledger_with_its_reason_hashed(world, approved):
    certificate = approved.certificate
    reason = "企业未按承诺召回缺陷产品"
    certificates.do_revoke_certificate(world.association.actor, certificate, f"  {reason} ")
    certificate.refresh_from_db()
    assert certificate.state() == Certificate.State.REVOKED
    assert certificate.revocation_reason == reason
    record = ledger_record(certificate, "certificate_revoked")
    assert record["certificate"] == certificate.number
    assert record["reason_sha256"] == hashlib.sha256(reason.encode()).hexdigest()
    assert record["revoked_at"] == certificate.revoked_at.isoformat()
    with pytest.raises(ValidationError, match="already revoked"):
        certificates.do_revoke_certificate(world.association.actor, certificate, "again")


def test_only_the_association_revokes_and_says_why(world, approved):
    certificate = approved.certificate
    for party in (world.enterprise, world.outsider, world.distributor, world.inspector):
        with pytest.raises(PermissionDenied):
            certificates.do_revoke_certificate(party.actor, certificate, "no")
    with pytest.raises(ValidationError, match="reason"):
        certificates.do_revoke_certificate(world.association.actor, certificate, "   ")
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert entry_of(certificate, "certificate_revoked") is None


def approve(application, reviewers):
    first, second = reviewers
    flow.do_start_review(first, application)
    flow.do_approve(first, application)
    return flow.do_approve(second, application)


def test_a_revision_approved_replaces_the_certificate(world, approved, reviewers, anon):
    old = approved.certificate
    maker = world.enterprise.actor
    revision = flow.do_start_revision(maker, approved)
    flow.do_submit(maker, revision)  # the copied content is complete
    approve(revision, reviewers)
    new = Certificate.objects.get(application=revision)
    old.refresh_from_db()
    assert old.superseded_by == new
    assert old.state() == Certificate.State.SUPERSEDED
    assert new.state() == Certificate.State.VALID
    assert new.number != old.number
    ((_image, text),) = list(pdf_pages(certificate_pdf.render_certificate(new, "en"), scale=1))
    assert "Version 2, approved on" in text
    page = anon.get(f"/integrity/certificates/{old.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-state="superseded"' in page.text
    assert f'href="/integrity/certificates/{new.number}/"' in page.text


def test_a_revoked_certificate_links_the_one_issued_since(world, approved, reviewers, anon):
    old = certificates.do_revoke_certificate(
        world.association.actor, approved.certificate, "抽检不合格"
    )
    maker = world.enterprise.actor
    revision = flow.do_start_revision(maker, approved)
    flow.do_submit(maker, revision)
    approve(revision, reviewers)
    new = Certificate.objects.get(application=revision)
    page = anon.get(f"/integrity/certificates/{old.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-state="revoked"' in page.text and "抽检不合格" in page.text
    assert f'href="/integrity/certificates/{new.number}/"' in page.text


def test_it_expires_after_its_validity(world, approved, anon, monkeypatch):
    certificate = approved.certificate
    after = certificate.valid_until + dt.timedelta(days=1)
    before = certificate.valid_from - dt.timedelta(days=1)
    assert certificate.state(after) == Certificate.State.EXPIRED
    assert certificate.state(before) == Certificate.State.NOT_YET_VALID
    path = f"/integrity/certificates/{certificate.number}/"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: after)
    page = anon.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-state="expired"' in page.text
    assert certificate.valid_until.isoformat() in page.text
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: before)
    assert 'data-state="not_yet_valid"' in anon.get(path).text


def test_it_issues_only_for_the_approved_application_in_force(world, approved, programme):
    with pytest.raises(ValidationError, match="already has its certificate"):
        certificates.do_issue_certificate(approved)
    draft = flow.do_start_application(world.outsider.actor, programme, [outsider_product(world)])
    with pytest.raises(ValidationError, match="approved application in force"):
        certificates.do_issue_certificate(draft)
    assert not Certificate.objects.filter(application=draft).exists()


def test_it_issues_no_certificate_after_the_programme_ends(world, programme, reviewers):
    programme = flow.do_save_programme(world.association.actor, programme, issue_on_approval=False)
    application = approved_for(world.enterprise, programme, reviewers)
    end = programme.valid_until
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *a, **k: end + dt.timedelta(days=1))
        with pytest.raises(ValidationError, match="valid only until"):
            certificates.do_issue_certificate(application)
        with pytest.raises(ValidationError, match="valid only until"):
            certificates.do_request_certificate_batch(world.association.actor, programme)
    assert not Certificate.objects.exists()


# --- batches ------------------------------------------------------------------------------


def outsider_product(world):
    return catalog.do_create_product(world.outsider.organisation, gtin(999), "速冻水饺")


def gtin(n: int) -> str:
    base = f"69{n:010d}"
    return base + calc_check_digit(base)


def approved_for(party, programme, reviewers, product=None) -> Application:
    """An enterprise's application to the programme, taken through the whole review."""
    if product is None:
        product = party.organisation.products.order_by("pk").first()
    application = flow.do_start_application(party.actor, programme, [product])
    fill_application(party.actor, application)
    flow.do_submit(party.actor, application)
    return approve(application, reviewers)


@pytest.fixture
def batch_programme(world):
    """A programme whose certificates are issued together, in a batch."""
    return make_programme(world.association.actor, code="qm-2026", issue_on_approval=False)


def approved_enterprises(programme, reviewers, count: int, first: int = 0) -> list:
    applications = []
    for i in range(first, first + count):
        party = make_party(Organisation.Kind.ENTERPRISE, f"批量示例企业{i}有限公司", f"batch-{i}")
        catalog.do_create_product(party.organisation, gtin(i), f"示例产品{i}")
        applications.append(approved_for(party, programme, reviewers))
    return applications


def request_batch(world, programme, capture) -> CertificateBatch:
    with capture(execute=True):
        batch = certificates.do_request_certificate_batch(world.association.actor, programme)
    batch.refresh_from_db()
    return batch


def test_a_batch_issues_every_certificate_owed(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks
):
    applications = approved_enterprises(batch_programme, reviewers, 4)
    assert not Certificate.objects.exists()  # left for the batch
    batch = request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    assert batch.status == CertificateBatch.Status.DONE
    assert (batch.done, batch.total, batch.progress_percent) == (4, 4, 100)
    assert batch.requested_by == world.association.user
    assert batch.started_at <= batch.finished_at
    issued = Certificate.objects.filter(programme=batch_programme).order_by("number")
    assert [c.number for c in issued] == [f"QM-2026-{i:05d}" for i in range(1, 5)]
    assert {c.application_id for c in issued} == {a.pk for a in applications}
    for certificate in issued:
        assert hashlib.sha256(stored_pdf(certificate)).hexdigest() == certificate.pdf_sha256
        assert ledger_record(certificate, "certificate")["pdf_sha256"] == certificate.pdf_sha256


def test_a_batch_is_refused_when_nothing_is_owed_or_one_is_running(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks
):
    association = world.association.actor
    with pytest.raises(ValidationError, match="already has its certificate"):
        certificates.do_request_certificate_batch(association, batch_programme)
    approved_enterprises(batch_programme, reviewers, 1)
    for party in (world.enterprise, world.outsider, world.distributor, world.inspector):
        with pytest.raises(PermissionDenied):
            certificates.do_request_certificate_batch(party.actor, batch_programme)
    with django_capture_on_commit_callbacks(execute=False):  # queued, no worker yet
        waiting = certificates.do_request_certificate_batch(association, batch_programme)
    assert waiting.status == CertificateBatch.Status.QUEUED
    with pytest.raises(ValidationError, match="already being issued"):
        certificates.do_request_certificate_batch(association, batch_programme)
    certificates.do_run_certificate_batch(waiting.pk)
    waiting.refresh_from_db()
    assert waiting.status == CertificateBatch.Status.DONE
    certificates.do_run_certificate_batch(waiting.pk)  # a task run twice does nothing more
    assert Certificate.objects.count() == 1


def test_a_batch_that_stopped_moving_gives_way_to_a_new_one(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks
):
    """A worker stopped mid-batch leaves it running; once it has not moved for
    STALLED_AFTER, a new request marks it failed and takes over."""
    approved_enterprises(batch_programme, reviewers, 2)
    association = world.association.actor
    with django_capture_on_commit_callbacks(execute=False):  # its worker never comes
        stalled = certificates.do_request_certificate_batch(association, batch_programme)
    with pytest.raises(ValidationError, match="already being issued"):
        certificates.do_request_certificate_batch(association, batch_programme)
    long_ago = timezone.now() - certificates.STALLED_AFTER - dt.timedelta(seconds=1)
    CertificateBatch.objects.filter(pk=stalled.pk).update(updated_at=long_ago)
    batch = request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    assert (batch.status, batch.done) == (CertificateBatch.Status.DONE, 2)
    stalled.refresh_from_db()
    assert stalled.status == CertificateBatch.Status.FAILED
    assert "stopped without finishing" in stalled.error
    certificates.do_run_certificate_batch(stalled.pk)  # its task, should it come, does nothing
    assert Certificate.objects.count() == 2


def test_a_failed_batch_keeps_what_it_issued_and_the_next_one_continues(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks, monkeypatch
):
    approved_enterprises(batch_programme, reviewers, 5)
    real, calls = certificates.render_certificate, []

    def breaks_on_the_third(certificate, *args, **kwargs):
        calls.append(certificate.number)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(certificate, *args, **kwargs)

    monkeypatch.setattr(certificates, "render_certificate", breaks_on_the_third)
    failed = request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    assert failed.status == CertificateBatch.Status.FAILED
    assert (failed.done, failed.total) == (2, 5)
    assert "批量示例企业2有限公司" in failed.error
    assert "disk full" not in failed.error  # that is for the operator's log
    assert Certificate.objects.count() == 2

    monkeypatch.setattr(certificates, "render_certificate", real)
    rerun = request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    assert rerun.status == CertificateBatch.Status.DONE
    assert (rerun.done, rerun.total) == (3, 3)
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert numbers == [f"QM-2026-{i:05d}" for i in range(1, 6)]


def test_a_batch_reads_each_certificate_with_a_fixed_number_of_queries(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks
):
    """No query per product or per page of anything: the cost per certificate is flat."""
    approved_enterprises(batch_programme, reviewers, 2)
    with CaptureQueriesContext(connection) as small:
        request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    approved_enterprises(batch_programme, reviewers, 6, first=10)
    with CaptureQueriesContext(connection) as large:
        request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    per_certificate = (len(large) - len(small)) / 4
    print("PER", per_certificate)
    assert per_certificate <= 12, [q["sql"][:120] for q in large.captured_queries]


def test_a_large_batch_has_its_pdfs_rendered_by_worker_processes(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks, monkeypatch
):
    approved_enterprises(batch_programme, reviewers, 3)
    monkeypatch.setattr(certificate_pdf, "POOL_FROM", 2)
    monkeypatch.setattr(certificate_pdf.os, "cpu_count", lambda: 2)

    def not_here(*args, **kwargs):
        raise AssertionError("rendered in the batch's own process")

    monkeypatch.setattr(certificates, "render_certificate", not_here)
    batch = request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    assert batch.status == CertificateBatch.Status.DONE, batch.error
    assert batch.done == 3
    for certificate in Certificate.objects.all():
        pdf = stored_pdf(certificate)
        assert hashlib.sha256(pdf).hexdigest() == certificate.pdf_sha256
        # What the worker made is what this process makes of the same records.
        assert certificate_pdf.render_certificate(certificate) == pdf


def test_a_draft_made_for_another_number_is_not_used(world, batch_programme, reviewers):
    (application,) = approved_enterprises(batch_programme, reviewers, 1)
    stale = Future()
    stale.set_result(b"%PDF- made for another number")
    today = timezone.localdate()
    draft = certificates.Draft(
        "QM-2026-00007", timezone.now(), today, batch_programme.valid_until, stale
    )
    certificate = certificates.do_issue_certificate(application, draft)
    assert certificate.number == "QM-2026-00001"
    pdf = stored_pdf(certificate)
    assert pdf != stale.result()
    assert certificate_pdf.render_certificate(certificate) == pdf


def test_a_batch_that_cannot_read_its_applications_says_it_stopped(
    world, batch_programme, reviewers, django_capture_on_commit_callbacks, monkeypatch
):
    approved_enterprises(batch_programme, reviewers, 2)

    def unreadable(applications):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(certificates, "for_certificates", unreadable)
    batch = request_batch(world, batch_programme, django_capture_on_commit_callbacks)
    assert batch.status == CertificateBatch.Status.FAILED
    assert batch.error.startswith("The batch stopped.")
    assert "went away" not in batch.error
    assert batch.finished_at is not None
    assert not Certificate.objects.exists()


def test_the_programmes_mark_is_printed_on_the_certificate(world, programme, reviewers):
    mark = png_upload((600, 400), (200, 30, 30, 128))
    flow.do_save_programme(world.association.actor, programme, mark=mark)
    application = approved_application(world, programme, reviewers)
    pdf = stored_pdf(application.certificate)
    assert b"/Subtype /Image" in pdf
    ((image, _text),) = list(pdf_pages(pdf, scale=1))
    assert image.getpixel((int(40 * 72 / 25.4), int(35 * 72 / 25.4)))[:3] != (255, 255, 255)
    assert certificate_pdf.render_certificate(application.certificate) == pdf
    # A new mark is printed on the next certificate, not the one read before.
    flow.do_save_programme(
        world.association.actor,
        programme,
        mark=png_upload((600, 400), (0, 90, 200, 255)),
    )
    programme.refresh_from_db()
    again = Certificate.objects.get(pk=application.certificate.pk)
    assert certificate_pdf.render_certificate(again) != pdf

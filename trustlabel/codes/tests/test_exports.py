"""Print files: what is in them verifies, they are made in the background, handed to the
enterprise's admin once and then deleted, and a huge order exports in bounded memory."""

import csv
import datetime as dt
import io
import re
import tracemalloc
import zipfile

import biip
import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from trustlabel.accounts.access import Actor
from trustlabel.codes import actions as codes
from trustlabel.codes import exports
from trustlabel.codes.models import Export, LabelOrder
from trustlabel.codes.tasks import make_export
from trustlabel.trace import actions as trace
from trustlabel.verify.core import CheckContext, verify

HIDDEN_CODE = re.compile(r"\b\d{4} \d{4} \d{4} \d{4} \d{4}\b")


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


@pytest.fixture
def checks_unlimited(settings):
    settings.TRUSTLABEL_RATE_PER_CLIENT = 10**9
    settings.TRUSTLABEL_RATE_PER_CODE = 10**9


def read_csv_zip(data: bytes) -> tuple[list[str], list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every CRC is right
        (name,) = archive.namelist()
        text = archive.read(name).decode("ascii")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def csv_of(order: LabelOrder, **kwargs) -> tuple[list[str], list[list[str]]]:
    out = io.BytesIO()
    exports.write_csv_zip(order, out, **kwargs)
    return read_csv_zip(out.getvalue())


def new_order(world, quantity: int, layout: str) -> LabelOrder:
    """An order whose labels are on products: commissioned, so its codes verify."""
    actor = world.enterprise.actor
    order = codes.do_create_label_order(actor, world.product, world.lot, quantity, layout)
    trace.do_commission_order(actor, order)
    return order


def link_parts(link: str) -> dict[str, str]:
    parsed = biip.parse(link).gs1_digital_link_uri
    assert parsed is not None, link
    return {es.ai.ai: es.value for es in parsed.element_strings}


# --- CSV ------------------------------------------------------------------------------------


def test_it_writes_every_open_code_to_the_csv_and_each_verifies(world, checks_unlimited, settings):
    order = world.open_order
    done = []
    header, rows = csv_of(order, progress=done.append, chunk_size=300)
    assert header == ["label_no", "printed_digits", "qr_content"]
    assert len(rows) == order.quantity
    assert done == [300, 600, 900, 1000]
    assert len({r[1] for r in rows}) == order.quantity
    for number, (label_no, printed, link) in enumerate(rows, start=1):
        assert label_no == f"{number:04d}"
        code = printed.replace(" ", "")
        assert printed == " ".join(code[i : i + 4] for i in range(0, 20, 4))
        assert code == world.code(index=number - 1)
        assert link == f"{settings.TRUSTLABEL_BASE_URL}/01/{world.product.gtin}/21/{code}"
        assert link_parts(link) == {"01": world.product.gtin, "21": code}
        assert verify(printed).is_genuine
    assert verify(rows[0][2]).kind == "genuine_checked_before"


def test_it_writes_the_public_serial_and_hidden_code_of_scratch_labels(world, checks_unlimited):
    order = world.scratch_order
    header, rows = csv_of(order, chunk_size=128)
    assert header == ["label_no", "printed_digits", "qr_content", "hidden_code"]
    assert len(rows) == order.quantity
    for number, (_label_no, printed, link, hidden) in enumerate(rows, start=1):
        public = printed.replace(" ", "")
        assert len(public) == 12 and public == world.public_serial(index=number - 1)
        assert link_parts(link)["21"] == public
        assert verify(link).kind == "pin_required"
        assert verify(hidden, CheckContext(public_serial=public)).is_genuine


def test_it_pads_label_numbers_to_the_order_size(world):
    _header, rows = csv_of(new_order(world, 7, "open"))
    assert [r[0] for r in rows] == [str(n) for n in range(1, 8)]
    _header, rows = csv_of(new_order(world, 12345, "open"), chunk_size=4096)
    assert rows[0][0] == "00001" and rows[-1][0] == "12345"


def test_it_exports_millions_of_codes_in_bounded_memory(world, tmp_path):
    """2M codes are ~210 MB of CSV; memory stays at a few chunks whatever the size."""
    order = new_order(world, 2_000_000, "scratch")
    path = tmp_path / "big.zip"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            exports.write_csv_zip(order, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 96 * 2**20, f"peak {peak / 2**20:.0f} MB"
    with zipfile.ZipFile(path) as archive:
        (info,) = archive.infolist()
        assert info.file_size > 200 * 10**6
        with archive.open(info) as member:
            lines = sum(1 for _ in member)
    assert lines == order.quantity + 1


# --- PDF ------------------------------------------------------------------------------------


def pdf_pages(data: bytes, scale: float = 300 / 72):
    pdf = pdfium.PdfDocument(data)
    for page in pdf:
        yield page.render(scale=scale).to_pil(), page.get_textpage().get_text_range()


def test_it_prints_qr_codes_that_phones_read_and_verify(world, checks_unlimited, settings):
    order = new_order(world, 30, "open")
    out, done = io.BytesIO(), []
    exports.write_pdf(order, out, progress=done.append)
    assert done == [24, 30]  # a page at a time
    links, texts = [], []
    for image, text in pdf_pages(out.getvalue()):
        links += [barcode.text for barcode in zxingcpp.read_barcodes(image)]
        texts.append(text)
    assert len(texts) == 2
    expected = [world.code(order=order, index=i) for i in range(order.quantity)]
    assert sorted(links) == sorted(
        f"{settings.TRUSTLABEL_BASE_URL}/01/{world.product.gtin}/21/{c}" for c in expected
    )
    for link in links:
        parts = link_parts(link)
        assert parts["01"] == world.product.gtin
        assert verify(link).kind == "genuine"
    printed = HIDDEN_CODE.findall("\n".join(texts))
    assert sorted(p.replace(" ", "") for p in printed) == sorted(expected)


def test_it_prints_the_hidden_code_of_scratch_labels_under_the_coating(world, checks_unlimited):
    order = new_order(world, 5, "scratch")
    out = io.BytesIO()
    exports.write_pdf(order, out)
    ((image, text),) = list(pdf_pages(out.getvalue()))
    publics = [link_parts(b.text)["21"] for b in zxingcpp.read_barcodes(image)]
    assert sorted(publics) == sorted(world.public_serial(order, i) for i in range(5))
    hidden = [h.replace(" ", "") for h in HIDDEN_CODE.findall(text)]
    assert len(hidden) == 5
    for public, code in zip(publics, hidden, strict=True):
        assert verify(public).kind == "pin_required"
        assert verify(code, CheckContext(public_serial=public)).is_genuine
    assert "Scratch-off coating" in text or "刮" in text


def test_it_refuses_a_pdf_above_the_limit(world, settings):
    settings.TRUSTLABEL_PDF_MAX_LABELS = 100
    with pytest.raises(exports.ExportTooLarge, match="at most 100"):
        exports.write_pdf(world.scratch_order, io.BytesIO())


# --- the background task and the download ------------------------------------------------


def request_export(world, order, fmt, capture) -> Export:
    with capture(execute=True):
        export = codes.do_request_export(world.enterprise.actor, order, fmt)
    export.refresh_from_db()
    return export


def test_it_makes_an_export_in_the_background_and_hands_it_over_once(
    world, django_capture_on_commit_callbacks, export_root
):
    export = request_export(world, world.open_order, "csv", django_capture_on_commit_callbacks)
    assert export.status == Export.Status.READY
    assert export.done == world.open_order.quantity
    path = exports.export_path(export)
    assert path.parent == export_root
    assert path.stat().st_size == export.size
    assert path.stat().st_mode & 0o077 == 0  # for the service's user only
    assert [p.name for p in export_root.iterdir()] == [path.name]

    handle, filename = codes.do_take_download(world.enterprise.actor, export)
    assert filename.endswith(".zip") and str(world.open_order.pk) in filename
    assert not path.exists()  # deleted as soon as it is handed over
    with handle:
        _header, rows = read_csv_zip(handle.read())
    assert len(rows) == world.open_order.quantity
    export.refresh_from_db()
    assert export.status == Export.Status.DOWNLOADED and export.downloaded_at

    with pytest.raises(ValidationError, match="already downloaded"):
        codes.do_take_download(world.enterprise.actor, export)


def test_it_runs_the_task_once(world, django_capture_on_commit_callbacks):
    export = request_export(world, world.scratch_order, "pdf", django_capture_on_commit_callbacks)
    assert export.status == Export.Status.READY
    assert exports.export_path(export).read_bytes().startswith(b"%PDF")
    make_export.call(export.pk)  # a second run (a retry) changes nothing
    export.refresh_from_db()
    assert export.status == Export.Status.READY


def test_it_hands_exports_only_to_the_enterprises_admin(world, django_capture_on_commit_callbacks):
    export = request_export(world, world.open_order, "csv", django_capture_on_commit_callbacks)
    staff = Actor.of_user(world.enterprise_staff)
    for actor in (staff, world.outsider.actor, world.association.actor, None):
        with pytest.raises(PermissionDenied):
            codes.do_take_download(actor, export)
    export.refresh_from_db()
    assert export.status == Export.Status.READY
    assert exports.export_path(export).exists()


def test_it_refuses_an_expired_export_and_deletes_it(world, django_capture_on_commit_callbacks):
    export = request_export(world, world.open_order, "csv", django_capture_on_commit_callbacks)
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    with pytest.raises(ValidationError, match="expired"):
        codes.do_take_download(world.enterprise.actor, export)
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED
    assert not exports.export_path(export).exists()


def test_it_reports_a_failure_without_details_and_leaves_no_file(
    world, django_capture_on_commit_callbacks, monkeypatch, export_root
):
    def broken(order, fileobj, progress=None):
        fileobj.write(b"half a file")
        raise RuntimeError("disk on fire at /secret/path")

    monkeypatch.setattr(exports, "write_csv_zip", broken)
    export = request_export(world, world.open_order, "csv", django_capture_on_commit_callbacks)
    assert export.status == Export.Status.FAILED
    assert export.error and "secret" not in export.error and "Traceback" not in export.error
    assert list(export_root.iterdir()) == []
    with pytest.raises(ValidationError, match="not ready"):
        codes.do_take_download(world.enterprise.actor, export)


def test_it_purges_expired_exports_from_the_command_line(world, django_capture_on_commit_callbacks):
    export = request_export(world, world.open_order, "csv", django_capture_on_commit_callbacks)
    call_command("purge_exports", stdout=(out := io.StringIO()))
    assert out.getvalue().startswith("0 ")
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    call_command("purge_exports", stdout=(out := io.StringIO()))
    assert out.getvalue().startswith("1 ")
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED
    assert not exports.export_path(export).exists()


# --- the export_codes command --------------------------------------------------------------


def test_it_exports_from_the_command_line(world, tmp_path):
    order = world.scratch_order
    csv_path, pdf_path = tmp_path / "codes.zip", tmp_path / "labels.pdf"
    quiet = {"stdout": io.StringIO()}
    call_command("export_codes", order.pk, "--format", "csv", "--out", str(csv_path), **quiet)
    header, rows = read_csv_zip(csv_path.read_bytes())
    assert len(rows) == order.quantity and header[-1] == "hidden_code"
    call_command("export_codes", str(order.pk), "--format=PDF", f"--out={pdf_path}", **quiet)
    assert len(pdfium.PdfDocument(pdf_path.read_bytes())) == -(-order.quantity // 24)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes.zip", "labels.pdf"]


def test_it_explains_what_is_wrong_with_an_export_command(world, tmp_path, settings):
    out = str(tmp_path / "x")
    with pytest.raises(CommandError, match="Label order 999999 does not exist"):
        call_command("export_codes", 999999, "--out", out)
    with pytest.raises(CommandError, match="Unknown format 'xls'"):
        call_command("export_codes", world.open_order.pk, "--format", "xls", "--out", out)
    settings.TRUSTLABEL_PDF_MAX_LABELS = 10
    with pytest.raises(CommandError, match="has 1000 labels; a PDF label sheet holds at most 10"):
        call_command("export_codes", world.open_order.pk, "--format", "pdf", "--out", out)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_codes", world.open_order.pk, "--out", str(tmp_path / "no" / "x"))
    assert list(tmp_path.iterdir()) == [settings.EXPORT_ROOT] or not list(tmp_path.iterdir())


def test_it_builds_rows_of_one_width(world):
    template = exports._RowTemplate(world.scratch_order)
    buffer = template.new_buffer(3)
    assert buffer.shape == (3, template.row.size)
    assert (buffer == template.row).all()
    assert bytes(template.row).endswith(b"\r\n")
    assert np.count_nonzero(template.row == ord(",")) == 3

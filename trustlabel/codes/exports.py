"""Print files: a zipped CSV for printing houses and an A4 PDF label sheet.

Both hold every secret code of an order, so they are written into EXPORT_ROOT (outside
the media root), downloaded once and deleted (`actions.do_take_download`).

The CSV of a 10^8-code order is about 10 GB before compression, so it is made in chunks
in constant memory. Every row of an order has the same width (label numbers are
zero-padded), so a chunk is a numpy uint8 matrix of rows copied from a template, with only
the digit columns filled in; compression runs in a second thread (zlib releases the GIL)
while the next chunk is made. docs/benchmarks.md has the figures.
"""

import csv
import functools
import io
import logging
import queue
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import segno
from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from .codec import CODE_LENGTH, PUBLIC_LENGTH, put_digits
from .keys import code_key
from .models import Export, LabelOrder

log = logging.getLogger(__name__)

Progress = Callable[[int], None] | None

# Serials per chunk. Three row buffers are in use at once (one being filled, one queued,
# one being compressed): at ~110 bytes a row that is about 45 MB.
CHUNK = 1 << 17
_BUFFERS = 3


class ExportTooLarge(ValueError):
    """The order has more labels than one PDF label sheet may hold."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def export_path(export: Export) -> Path:
    """Where an export's file lives (or will live) on disk."""
    name = export.file_name or f"export-{export.pk}.{file_extension(export.format)}"
    return Path(settings.EXPORT_ROOT) / name


def partial_path(export: Export) -> Path:
    """The file being written; renamed to `export_path` once complete."""
    path = export_path(export)
    return path.with_name(path.name + ".part")


def delete_export_file(export: Export) -> None:
    for path in (export_path(export), partial_path(export)):
        path.unlink(missing_ok=True)


def file_extension(fmt: str) -> str:
    return "pdf" if fmt == Export.Format.PDF else "zip"


def download_name(order: LabelOrder, fmt: str) -> str:
    return f"trustlabel-order-{order.pk}-{order.product.gtin}.{file_extension(fmt)}"


def qr_prefix(order: LabelOrder) -> str:
    """The GS1 Digital Link up to the serial: the code (or public serial) follows it."""
    return f"{settings.TRUSTLABEL_BASE_URL}/01/{order.product.gtin}/21/"


# --- CSV ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """A run of digits in the row template: `source` text, 4-digit groups or not."""

    source: str  # "label", "code" or "public"
    offset: int
    grouped: bool


class _RowTemplate:
    """One CSV row as fixed bytes, and where each digit field goes in it."""

    def __init__(self, order: LabelOrder):
        self.label_width = len(str(order.quantity))
        scratch = order.layout == LabelOrder.Layout.SCRATCH
        shown = "public" if scratch else "code"
        shown_length = PUBLIC_LENGTH if scratch else CODE_LENGTH
        prefix = _csv_text(qr_prefix(order))
        quote = '"' if prefix.startswith('"') else ""
        prefix = prefix.removesuffix(quote)
        parts: list = [("label", False), ","]
        parts += [(shown, True), ",", prefix, (shown, False), quote]
        self.header = ["label_no", "printed_digits", "qr_content"]
        if scratch:
            parts += [",", ("code", True)]
            self.header.append("hidden_code")
        parts.append("\r\n")
        widths = {"label": self.label_width, "code": CODE_LENGTH, "public": PUBLIC_LENGTH}
        text, fields = b"", []
        for part in parts:
            if isinstance(part, str):
                text += part.encode()
                continue
            source, grouped = part
            fields.append(_Field(source, len(text), grouped))
            width = widths[source]
            text += _group(b"0" * width) if grouped else b"0" * width
        self.row = np.frombuffer(text, dtype=np.uint8)
        self.fields = fields
        self.shown_length = shown_length

    def new_buffer(self, rows: int) -> np.ndarray:
        return np.tile(self.row, (rows, 1))

    def fill(self, buffer: np.ndarray, texts: dict[str, np.ndarray], labels: np.ndarray) -> None:
        for field in self.fields:
            if field.source == "label":
                put_digits(buffer, field.offset, self.label_width, labels)
                continue
            text = texts[field.source]
            if not field.grouped:
                buffer[:, field.offset : field.offset + text.shape[1]] = text
                continue
            # Four digits at a time as one uint32, each group followed by a space.
            lanes = text[:, : text.shape[1] // 4 * 4].view(np.uint32)
            for k in range(lanes.shape[1]):
                start = field.offset + 5 * k
                buffer[:, start : start + 4].view(np.uint32)[:, 0] = lanes[:, k]


def _group(digits: bytes) -> bytes:
    """'12345678…' -> '1234 5678 …': how codes are printed, for people to key them."""
    return b" ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def group_digits(text: str) -> str:
    return _group(text.encode("ascii")).decode("ascii")


def _csv_text(value: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([value])
    return out.getvalue()


class _BackgroundWriter:
    """Feeds row buffers to the zip member from a second thread.

    zlib's compressor and crc32 release the GIL, so compressing one chunk overlaps with
    making the next. A small pool of buffers bounds the memory, and an error in the
    writing thread is raised in the caller's.
    """

    def __init__(self, member, template: _RowTemplate, rows: int):
        self._member = member
        self._free: queue.Queue = queue.Queue()
        self._work: queue.Queue = queue.Queue()
        for _i in range(_BUFFERS):
            self._free.put(template.new_buffer(rows))
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            buffer, count = item
            if self._error is None:
                try:
                    self._member.write(buffer[:count].reshape(-1))
                except BaseException as e:  # raised again in the caller's thread
                    self._error = e
            self._free.put(buffer)

    def buffer(self) -> np.ndarray:
        self._raise()
        return self._free.get()

    def write(self, buffer: np.ndarray, count: int) -> None:
        self._work.put((buffer, count))

    def close(self) -> None:
        self._work.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def write_csv_zip(
    order: LabelOrder, fileobj, progress: Progress = None, chunk_size: int = CHUNK
) -> None:
    """Write the order's codes as one CSV in a ZIP (deflate, ZIP64) to `fileobj`.

    Columns: label_no, printed_digits (what is printed beside the QR code, in groups of
    four), qr_content (the GS1 Digital Link), and for scratch-off labels hidden_code (the
    code printed under the coating). `progress(done)` is called after each chunk.
    """
    key = code_key(order.key_version)
    template = _RowTemplate(order)
    scratch = order.layout == LabelOrder.Layout.SCRATCH
    rows = min(chunk_size, order.quantity)
    with (
        zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(f"label-order-{order.pk}.csv", "w", force_zip64=True) as member,
    ):
        member.write((",".join(template.header) + "\r\n").encode())
        writer = _BackgroundWriter(member, template, rows)
        try:
            for done in range(0, order.quantity, chunk_size):
                count = min(chunk_size, order.quantity - done)
                serials = np.arange(
                    order.serial_start + done, order.serial_start + done + count, dtype=np.uint64
                )
                texts = {"code": key.code_ascii(serials)}
                if scratch:
                    texts["public"] = key.public_serial_ascii(serials)
                labels = np.arange(done + 1, done + count + 1, dtype=np.uint64)
                buffer = writer.buffer()
                template.fill(buffer[:count], texts, labels)
                writer.write(buffer, count)
                if progress:
                    progress(done + count)
        finally:
            writer.close()


# --- PDF ---------------------------------------------------------------------------------

# A common 24-up sheet: 3 x 8 labels of 70 x 37 mm on A4.
_COLUMNS, _ROWS = 3, 8
_LABEL_W, _LABEL_H = 70 * mm, 37 * mm
_PAD = 2.5 * mm
_QR_BOX = 23 * mm
_QR_BORDER = 2  # modules of quiet zone inside the box; the label's margin adds more
_GREY = Color(0.78, 0.78, 0.78)
_LINE_GREY = Color(0.75, 0.75, 0.75)
_TEXT_GREY = Color(0.3, 0.3, 0.3)
_DIGITS_FONT = "Courier-Bold"
_CJK_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]


@functools.cache
def cjk_font() -> str:
    """A font for Chinese text: an installed TrueType one if any (embedded, so it prints
    the same everywhere), else the Adobe CID font every PDF reader has."""
    for path, index in _CJK_CANDIDATES:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("TrustLabelCJK", path, subfontIndex=index))
            except (TTFError, OSError):
                log.warning("cannot use the font %s", path, exc_info=True)
                continue
            return "TrustLabelCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def fit_lines(text: str, font: str, size: float, width: float, lines: int) -> list[str]:
    """Break `text` into at most `lines` lines no wider than `width`: at a space where the
    line has one, else at any character (Chinese has no spaces). An ellipsis ends text
    that does not fit."""
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < lines:
        end = len(rest)
        while pdfmetrics.stringWidth(rest[:end], font, size) > width:
            end -= 1
        if end < len(rest) and " " in rest[1:end]:
            end = rest.rindex(" ", 1, end)
        out.append(rest[: max(end, 1)].rstrip())
        rest = rest[max(end, 1) :].lstrip()
    if rest:
        last = out[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


def draw_qr(canvas: Canvas, content: str, x: float, y: float, size: float) -> None:
    """Draw a QR code with its lower-left corner at (x, y), `size` points square.

    One filled path with a rectangle per horizontal run of dark modules, written in
    module units (whole numbers) straight into the page's content stream: no image, and
    no float formatting per rectangle. segno chooses the mask pattern the standard's way
    (the lowest penalty of all eight), which is most of the time spent per label.
    """
    qr = segno.make_qr(content, error="m", boost_error=False)
    dark = np.array(qr.matrix, dtype=bool)
    module = size / (dark.shape[0] + 2 * _QR_BORDER)
    edges = np.diff(np.pad(dark, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    runs = " ".join(
        f"{start} {row} {end - start} 1 re"
        for row, start, end in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True)
    )
    canvas.saveState()
    canvas.setFillColor(black)
    # Module units with y growing down, as the matrix is stored.
    canvas.translate(x + _QR_BORDER * module, y + size - _QR_BORDER * module)
    canvas.scale(module, -module)
    canvas.addLiteral(runs + " f")
    canvas.restoreState()


_MARK = 8 * mm  # the programme's mark, at most this wide and high


def _mark_reader(order: LabelOrder) -> ImageReader | None:
    """The mark of the programme the labels were ordered under, if it has one."""
    programme = order.programme if order.programme_id else None
    if programme is None or not programme.mark:
        return None
    with programme.mark.open("rb") as f:
        return ImageReader(io.BytesIO(f.read()))


class _LabelSheet:
    """Draws labels of one order onto A4 pages, 24 to a page."""

    def __init__(self, canvas: Canvas, order: LabelOrder):
        self.canvas = canvas
        self.scratch = order.layout == LabelOrder.Layout.SCRATCH
        self.cjk = cjk_font()
        self.text_x = _PAD + _QR_BOX + 2 * mm
        self.text_w = _LABEL_W - self.text_x - _PAD
        # A programme's mark goes in the label's top right corner, beside the QR code;
        # the product's name makes room for it. One reader for the whole sheet, so the
        # PDF holds the image once and every label refers to it.
        self.mark = _mark_reader(order)
        name_w = self.text_w - (_MARK + 1 * mm if self.mark else 0)
        self.name_lines = fit_lines(order.product.name, self.cjk, 8, name_w, 2)
        self.gtin = f"GTIN {order.product.gtin}"
        if self.scratch:
            self.hint = fit_lines(
                _("Scratch off the coating and enter the hidden code to check."),
                self.cjk,
                6,
                self.text_w,
                2,
            )
            self.coating = _("Scratch-off coating")
        else:
            self.hint = fit_lines(
                _("Scan the QR code or enter the code below to check."),
                self.cjk,
                6,
                self.text_w,
                2,
            )
        self.margin_x = (A4[0] - _COLUMNS * _LABEL_W) / 2
        self.margin_y = (A4[1] - _ROWS * _LABEL_H) / 2

    def origin(self, slot: int) -> tuple[float, float]:
        column, row = slot % _COLUMNS, slot // _COLUMNS
        return (
            self.margin_x + column * _LABEL_W,
            A4[1] - self.margin_y - (row + 1) * _LABEL_H,
        )

    def draw(self, slot: int, qr_content: str, shown: str, hidden: str | None) -> None:
        c = self.canvas
        x, y = self.origin(slot)
        c.setStrokeColor(_LINE_GREY)
        c.setLineWidth(0.25)
        c.rect(x, y, _LABEL_W, _LABEL_H, stroke=1, fill=0)  # a cutting guide
        draw_qr(c, qr_content, x + _PAD, y + _LABEL_H - _PAD - _QR_BOX, _QR_BOX)
        if self.mark is not None:
            c.drawImage(
                self.mark,
                x + _LABEL_W - _PAD - _MARK,
                y + _LABEL_H - _PAD - _MARK,
                _MARK,
                _MARK,
                preserveAspectRatio=True,
                anchor="ne",
                mask="auto",
            )

        tx = x + self.text_x
        ty = y + _LABEL_H - _PAD - 8
        c.setFillColor(black)
        c.setFont(self.cjk, 8)
        for line in self.name_lines:
            c.drawString(tx, ty, line)
            ty -= 10
        c.setFont("Helvetica", 6)
        c.setFillColor(_TEXT_GREY)
        c.drawString(tx, ty, self.gtin)
        ty -= 11
        if self.scratch:
            c.setFillColor(black)
            c.setFont(_DIGITS_FONT, 9.5)
            c.drawString(tx, ty, group_digits(shown))
            ty -= 10
        c.setFillColor(_TEXT_GREY)
        c.setFont(self.cjk, 6)
        for line in self.hint:
            c.drawString(tx, ty, line)
            ty -= 7.5

        strip_w = _LABEL_W - 2 * _PAD
        strip_h = 8 * mm
        sx, sy = x + _PAD, y + _PAD
        if hidden is None:
            c.setFillColor(black)
            c.setFont(_DIGITS_FONT, 11)
            c.drawCentredString(sx + strip_w / 2, sy + 2.5 * mm, group_digits(shown))
            return
        # The area the printer covers with the scratch-off coating.
        c.setFillColor(_GREY)
        c.setStrokeColor(black)
        c.setLineWidth(0.5)
        c.setDash(2, 1.5)
        c.rect(sx, sy, strip_w, strip_h, stroke=1, fill=1)
        c.setDash()
        c.setFillColor(_TEXT_GREY)
        c.setFont(self.cjk, 5)
        c.drawString(sx + 1 * mm, sy + strip_h - 2.2 * mm, self.coating)
        c.setFillColor(black)
        c.setFont(_DIGITS_FONT, 11)
        c.drawCentredString(sx + strip_w / 2, sy + 1.5 * mm, group_digits(hidden))


def write_pdf(order: LabelOrder, fileobj, progress: Progress = None) -> None:
    """Write the order's labels as an A4 label sheet (24 labels of 70 x 37 mm a page).

    Each label has the QR code (GS1 Digital Link), the product name and the code in groups
    of four; a scratch-off label shows its public serial and has the hidden code inside a
    marked grey box that the printer covers with the coating. Labels ordered under a
    label programme carry the programme's mark too.
    """
    limit = settings.TRUSTLABEL_PDF_MAX_LABELS
    if order.quantity > limit:
        raise ExportTooLarge(
            _("A PDF label sheet holds at most %(max)s labels; export this order as CSV.")
            % {"max": limit}
        )
    key = code_key(order.key_version)
    serials = np.arange(order.serial_start, order.serial_end, dtype=np.uint64)
    codes = _texts(key.code_ascii(serials))
    scratch = order.layout == LabelOrder.Layout.SCRATCH
    shown = _texts(key.public_serial_ascii(serials)) if scratch else codes
    prefix = qr_prefix(order)

    canvas = Canvas(fileobj, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(_("Labels of order %(order)s") % {"order": order.pk})
    canvas.setAuthor("TrustLabel")
    sheet = _LabelSheet(canvas, order)
    per_page = _COLUMNS * _ROWS
    for index in range(order.quantity):
        sheet.draw(
            index % per_page,
            prefix + shown[index],
            shown[index],
            codes[index] if scratch else None,
        )
        if index % per_page == per_page - 1 or index == order.quantity - 1:
            canvas.showPage()
            if progress:
                progress(index + 1)
    canvas.save()


def _texts(ascii_rows: np.ndarray) -> list[str]:
    return [row.decode("ascii") for row in ascii_rows.view(f"S{ascii_rows.shape[1]}")[:, 0]]

"""A certificate as an A4 PDF: Chinese as issued (and hashed into the ledger), English on
request.

The output is deterministic (reportlab's `invariant` mode: no creation date, a fixed
document ID), so rendering a certificate again from the same records gives the same
bytes, and anyone holding the stored PDF can recompute the SHA-256 the ledger holds. The
QR code opens the certificate's public check page, which says whether it is still valid.

Rendering is most of what issuing a certificate costs (reportlab and segno work in
Python), so a large batch renders in worker processes (`renderers`) while its own
process writes the certificates to the database.
"""

import contextlib
import functools
import io
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor

import django
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from trustlabel.accounts.models import Organisation
from trustlabel.codes.exports import cjk_font, draw_qr, fit_lines

from .models import Certificate

LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}

_WIDTH, _HEIGHT = A4
_MARGIN = 14 * mm
_LEFT = 28 * mm
_VALUE_X = 76 * mm
_LABEL_W = _VALUE_X - _LEFT - 4 * mm
_VALUE_W = _WIDTH - _VALUE_X - 26 * mm
_QR_SIZE = 34 * mm
_MARK = 26 * mm
_MARK_PIXELS = 320  # 26 mm at 300 dpi
_GOLD = Color(0.62, 0.45, 0.12)
_GREY = Color(0.35, 0.35, 0.35)
_HASH_FONT = "Courier"
_BODY = 12
_LINE = 19
# The body stops above the QR code and signature block; products past it continue on a
# further page.
_BODY_BOTTOM = 92 * mm


# Measuring text is the slowest part of laying out a certificate (reportlab measures in
# Python), and most of it is the same on every certificate: labels, the statement, the
# programme's name. The wrapping depends only on its arguments.
_lines = functools.lru_cache(maxsize=1024)(fit_lines)


def _mark_image(name: str) -> ImageReader:
    """A programme's mark as the certificate prints it: on the white page, at most 300 dpi.
    Made once per process and file (a batch prints it thousands of times; an upload may
    be large): the file's size and time tell a replaced file from the one read."""
    return _prepared_mark(name, default_storage.size(name), default_storage.get_modified_time(name))


@functools.lru_cache(maxsize=8)
def _prepared_mark(name: str, size: int, modified) -> ImageReader:
    with default_storage.open(name, "rb") as f:
        image = Image.open(f)
        image.load()
    image.thumbnail((_MARK_PIXELS, _MARK_PIXELS))
    if image.mode != "RGB":
        image = image.convert("RGBA")
        page = Image.new("RGB", image.size, (255, 255, 255))
        page.paste(image, mask=image.getchannel("A"))
        image = page
    return ImageReader(image)


def check_url(number: str) -> str:
    """The public check page of a certificate, as its QR code holds it."""
    path = reverse("directory:certificate", kwargs={"number": number})
    return f"{settings.TRUSTLABEL_BASE_URL}{path}"


def issuing_association() -> Organisation | None:
    """The association that runs the deployment (the first one registered)."""
    return Organisation.objects.filter(kind=Organisation.Kind.ASSOCIATION).order_by("pk").first()


_LOOK_UP = object()


def render_certificate(
    certificate: Certificate, language: str = "zh", association=_LOOK_UP
) -> bytes:
    """The certificate's PDF in Chinese ("zh", as issued) or English ("en").

    `certificate` may be unsaved (the PDF is made before its row, so that the ledger can
    record its hash); its application should come with its programme, enterprise and
    member record and its covered products (see `actions.certificates`). The issuing
    association is looked up unless given (None: there is none).
    """
    language = LANGUAGES[language]
    if association is _LOOK_UP:
        association = issuing_association()
    with translation.override(language):
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
        _Page(canvas, certificate, language, association).draw()
        canvas.save()
    return out.getvalue()


# A batch smaller than this renders in its own process: starting the workers (Django in
# each) costs one to a few seconds of CPU, what rendering a hundred certificates costs.
POOL_FROM = 200


@contextlib.contextmanager
def renderers(jobs: int):
    """Worker processes for rendering `jobs` certificates alongside this process (one per
    core), or None when there are too few certificates or cores for them to pay off.

    The workers are spawned, not forked: a forked child would share this process's
    database connection. They never touch the database; what they render arrives with
    everything it shows (see `render_elsewhere`)."""
    cores = os.cpu_count() or 1
    if jobs < POOL_FROM or cores < 2:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    # The initializer is Django's own: this module needs the app registry to import.
    pool = ProcessPoolExecutor(cores, mp_context=context, initializer=django.setup)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)  # a failed batch needs no more renderings


def render_elsewhere(pool: Executor, certificate: Certificate, association):
    """The future of the certificate's Chinese PDF, rendered by a worker."""
    return pool.submit(render_certificate, certificate, "zh", association)


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _named(obj, language: str) -> str:
    """The English name where there is one and English is wanted, else the Chinese."""
    english = getattr(obj, "name_en", "")
    return english if language == "en" and english else obj.name


def _uscc(organisation: Organisation) -> str:
    try:
        return organisation.member.uscc or "—"
    except Organisation.member.RelatedObjectDoesNotExist:
        return "—"


class _Page:
    def __init__(self, canvas: Canvas, certificate: Certificate, language: str, association):
        self.c = canvas
        self.cert = certificate
        self.language = language
        self.font = cjk_font()
        self.application = certificate.application
        self.programme = certificate.programme
        self.association = _named(association, language) if association else ""

    def draw(self) -> None:
        c, cert = self.c, self.cert
        c.setTitle(_("Certificate %(number)s") % {"number": cert.number})
        c.setAuthor(self.association or "TrustLabel")
        c.setSubject(self.programme.display_name(self.language))
        self._frame()
        y = self._heading()
        products = [
            (_named(covered.product, self.language), f"GTIN {covered.product.gtin}")
            for covered in self.application.covered_products.all()
        ]
        y, rest = self._facts(y, products)
        if rest:
            c.setFont(self.font, 10)
            c.setFillColor(_GREY)
            c.drawString(_VALUE_X, y, _("More products on the following page."))
            y -= _LINE
        self._statement(y)
        self._footer()
        while rest:
            c.showPage()
            self._frame()
            y = _HEIGHT - 40 * mm
            c.setFont(self.font, 14)
            c.setFillColor(black)
            c.drawString(_LEFT, y, _("Certificate %(number)s") % {"number": cert.number})
            y -= 2 * _LINE
            y, rest = self._row(y, _("Products (continued)"), rest, bottom=40 * mm)
        c.showPage()

    def _frame(self) -> None:
        c = self.c
        c.setStrokeColor(_GOLD)
        c.setLineWidth(2.5)
        c.rect(_MARGIN, _MARGIN, _WIDTH - 2 * _MARGIN, _HEIGHT - 2 * _MARGIN)
        c.setLineWidth(0.6)
        inset = _MARGIN + 2.5 * mm
        c.rect(inset, inset, _WIDTH - 2 * inset, _HEIGHT - 2 * inset)

    def _heading(self) -> float:
        c = self.c
        top = _HEIGHT - _MARGIN - 12 * mm
        if self.programme.mark:
            c.drawImage(
                _mark_image(self.programme.mark.name),
                _LEFT - 4 * mm,
                top - 26 * mm,
                width=_MARK,
                height=_MARK,
                preserveAspectRatio=True,
                anchor="c",
            )
        c.setFillColor(_GREY)
        c.setFont(self.font, 12)
        c.drawCentredString(_WIDTH / 2, top - 4 * mm, self.association)
        c.setFillColor(_GOLD)
        c.setFont(self.font, 40 if self.language != "en" else 34)
        c.drawCentredString(_WIDTH / 2, top - 24 * mm, _("Certificate"))
        c.setFillColor(black)
        y = top - 36 * mm
        c.setFont(self.font, 14)
        name = self.programme.display_name(self.language)
        for line in _lines(name, self.font, 14, _WIDTH - 2 * _LEFT, 2):
            c.drawCentredString(_WIDTH / 2, y, line)
            y -= 18
        c.setFont(self.font, 12)
        c.drawCentredString(_WIDTH / 2, y - 2, _("No. %(number)s") % {"number": self.cert.number})
        c.setStrokeColor(_GOLD)
        c.setLineWidth(0.6)
        c.line(_LEFT, y - 8 * mm, _WIDTH - _LEFT, y - 8 * mm)
        return y - 20 * mm

    def _facts(self, y: float, products: list) -> tuple[float, list]:
        cert, application = self.cert, self.application
        holder = cert.organisation
        y, _rest = self._row(y, _("Holder"), [_named(holder, self.language)])
        y, _rest = self._row(y, _("Unified social credit code"), [_uscc(holder)])
        y, _rest = self._row(
            y,
            _("Programme"),
            [f"{self.programme.display_name(self.language)} ({self.programme.year})"],
        )
        approved = timezone.localtime(application.approved_at).date()
        y, _rest = self._row(
            y,
            _("Commitment"),
            [
                _("Version %(version)s, approved on %(date)s")
                % {"version": application.version, "date": _date(approved)}
            ],
        )
        y, _rest = self._row(
            y,
            _("Valid"),
            [
                _("from %(start)s to %(end)s")
                % {"start": _date(cert.valid_from), "end": _date(cert.valid_until)}
            ],
        )
        y, _rest = self._row(y, _("Issued on"), [_date(timezone.localtime(cert.issued_at).date())])
        # Products last: a long list runs on to a further page.
        return self._row(y, _("Products"), products, bottom=_BODY_BOTTOM + 3 * _LINE)

    def _row(self, y: float, label: str, values: list, bottom: float = _BODY_BOTTOM):
        """A label and its values, each wrapped: a text, or a text and what is set flush
        right beside it (a product and its GTIN). Returns where the next row goes and the
        values that did not fit above `bottom`."""
        c = self.c
        c.setFillColor(_GREY)
        c.setFont(self.font, _BODY)
        label_lines = _lines(label, self.font, _BODY, _LABEL_W, 2)
        for i, line in enumerate(label_lines):
            c.drawString(_LEFT, y - i * _LINE, line)
        c.setFillColor(black)
        bottom_of_label = y - len(label_lines) * _LINE
        for i, value in enumerate(values):
            text, aside = value if isinstance(value, tuple) else (value, "")
            aside_w = pdfmetrics.stringWidth(aside, self.font, _BODY) + 4 * mm if aside else 0
            lines = _lines(text, self.font, _BODY, _VALUE_W - aside_w, 3)
            if y - (len(lines) - 1) * _LINE < bottom:
                return y - 4, values[i:]
            if aside:
                c.drawRightString(_VALUE_X + _VALUE_W, y, aside)
            for line in lines:
                c.drawString(_VALUE_X, y, line)
                y -= _LINE
        return min(y, bottom_of_label) - 8, []

    def _statement(self, y: float) -> None:
        c = self.c
        text = _(
            "The holder has made the quality-integrity commitment of this programme for the "
            "products above; the association has reviewed and approved it. Scan the QR code "
            "to check whether this certificate is still valid."
        )
        c.setFont(self.font, 11)
        c.setFillColor(_GREY)
        y = max(y - 4 * mm, _BODY_BOTTOM)
        for line in _lines(text, self.font, 11, _WIDTH - 2 * _LEFT, 4):
            c.drawString(_LEFT, y, line)
            y -= 16

    def _footer(self) -> None:
        c, cert = self.c, self.cert
        bottom = _MARGIN + 16 * mm
        url = check_url(cert.number)
        qr_x = _WIDTH - _LEFT - _QR_SIZE + 4 * mm
        draw_qr(c, url, qr_x, bottom + 8, _QR_SIZE)
        c.setFont(self.font, 8)
        c.setFillColor(_GREY)
        c.drawCentredString(qr_x + _QR_SIZE / 2, bottom, _("Scan to check this certificate"))
        c.setFont(self.font, 12)
        c.setFillColor(black)
        c.drawString(_LEFT, bottom + 24 * mm, self.association)
        c.setFont(self.font, 10)
        c.drawString(
            _LEFT,
            bottom + 17 * mm,
            _("Issued on %(date)s") % {"date": _date(timezone.localtime(cert.issued_at).date())},
        )
        c.setFont(self.font, 7)
        c.setFillColor(_GREY)
        c.drawString(_LEFT, bottom + 9 * mm, url)
        c.drawString(_LEFT, bottom + 4 * mm, _("Commitment SHA-256, in the public ledger:"))
        c.setFont(_HASH_FONT, 7)
        c.drawString(_LEFT, bottom, self.application.content_sha256)

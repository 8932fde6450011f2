"""Labels as a phone camera or a barcode scanner reads them, or a person types them: the
canonical EPC key of the case, pallet or item they name.

Accepted: an SSCC (18 digits, or its element string `00…` / `(00)…`, with or without
a symbology identifier such as `]C1`), a GS1 Digital Link on any host (`…/00/<SSCC>`,
`…/01/<GTIN>/21/<serial>`, which is also what our labels' QR codes carry), an EPC URN
(sscc, sgtin), an element string `(01)…(21)…`, and the digits printed on one of our
labels (the 20-digit code, or a scratch-off label's 12-digit public serial).
"""

import re

import biip
from biip.gs1_messages import GS1Message
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from trustlabel.codes import codec

from .identifiers import CANONICAL_BASE, IdentifierError, check_digit, epc_key
from .labels import label_epc, label_of_digits

_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_SSCC = f"{CANONICAL_BASE}/00/"
_SGTIN = f"{CANONICAL_BASE}/01/"


def read_scanned(text: str) -> str:
    """The canonical key of the case, pallet or item `text` names; ValidationError (in the
    user's language) when it names none."""
    raw = _SYMBOLOGY.sub("", (text or "").strip())
    if not raw:
        raise ValidationError(_("Scan or type a label."), code="empty")
    if "://" in raw or raw.lower().startswith("urn:"):
        try:
            return _logistic(epc_key(raw), text)
        except IdentifierError:
            raise _not_a_label(text) from None
    compact = re.sub(r"[\s-]", "", raw)
    if compact.isdigit():
        if len(compact) == 18:
            return _sscc(compact, text)
        if len(compact) in (codec.CODE_LENGTH, codec.PUBLIC_LENGTH):
            found = _our_label(compact)
            if found:
                return found
        if len(compact) == 20 and compact.startswith("00"):
            return _sscc(compact[2:], text)
    return _element_string(raw, text)


def _logistic(key: str, text: str) -> str:
    if key.startswith(_SSCC) or (key.startswith(_SGTIN) and "/21/" in key):
        return key
    raise _not_a_label(text)


def _sscc(digits: str, text: str) -> str:
    if check_digit(digits[:-1]) != digits[-1]:
        raise ValidationError(
            _("%(text)s: the check digit of this SSCC is wrong; scan it again or check the digits.")
            % {"text": text.strip()},
            code="check_digit",
        )
    return f"{_SSCC}{digits}"


def _our_label(digits: str) -> str | None:
    """The item of one of our labels, by its printed digits."""
    label = label_of_digits(digits)
    return label_epc(label.order, label.serial) if label else None


def _element_string(raw: str, text: str) -> str:
    try:
        message = GS1Message.parse_hri(raw) if raw.startswith("(") else biip.parse(raw).gs1_message
    except (biip.ParseError, ValueError, IndexError):  # biip 5.2 raises IndexError on "]"
        message = None
    values = {e.ai.ai: e.value for e in message.element_strings} if message else {}
    if "00" in values:
        return _sscc(values["00"], text)
    if "01" in values and "21" in values:
        try:
            return epc_key(f"{CANONICAL_BASE}/01/{values['01']}/21/{values['21']}")
        except IdentifierError:
            pass
    raise _not_a_label(text)


def _not_a_label(text: str) -> ValidationError:
    return ValidationError(
        _(
            "%(text)s is not a case, pallet or item label: scan the SSCC barcode or the "
            "QR code, or type the 18 digits of the SSCC."
        )
        % {"text": text.strip()[:80]},
        code="not_a_label",
    )

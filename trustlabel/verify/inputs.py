"""What people type or scan, turned into digits, or a clear reason why not.

Accepted: the 20-digit code or 12-digit public serial, with spaces, dashes or dots between
groups, in full-width digits from a Chinese keyboard; or the whole QR content, a GS1
Digital Link URI on this deployment's domain.
"""

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import biip
from django.conf import settings
from django.utils.translation import gettext_lazy as _

MAX_INPUT = 300
_SEPARATORS = str.maketrans("", "", " -_.\u00b7\u2010\u2011\u2012\u2013\u2014\u2212\u3000\t\r\n")


class InvalidInput(ValueError):
    """Input that is not a code at all; `message` says why, in the user's language."""

    def __init__(self, message, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Entered:
    digits: str
    # The GTIN the QR code named, if the input was a Digital Link.
    gtin: str | None = None


def _our_host() -> str:
    return urlsplit(settings.TRUSTLABEL_BASE_URL).netloc.lower()


def normalise(raw: str | None) -> Entered:
    if raw is None or not str(raw).strip():
        raise InvalidInput(_("Please enter the code printed on the label."), "empty")
    raw = str(raw)
    if len(raw) > MAX_INPUT:
        raise InvalidInput(_("That is too long to be a label code."), "too_long")
    text = unicodedata.normalize("NFKC", raw).strip()
    if "://" in text or text.lower().startswith(("www.", _our_host())):
        return _from_link(text)
    digits = text.translate(_SEPARATORS)
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput(
            _("A label code has only digits; please check what you typed."), "not_digits"
        )
    return Entered(digits=digits)


def _from_link(text: str) -> Entered:
    if "://" not in text:
        text = "https://" + text
    host = urlsplit(text).netloc.lower()
    if host != _our_host():
        raise InvalidInput(
            _("This QR code was not issued by this verification service (%(host)s).")
            % {"host": host or "?"},
            "foreign_domain",
        )
    try:
        link = biip.parse(text).gs1_digital_link_uri
    except biip.ParseError:
        link = None
    if link is None:
        raise InvalidInput(_("This link is not a label code."), "not_a_label_link")
    values = {es.ai.ai: es.value for es in link.element_strings}
    serial = values.get("21")
    if not serial or not serial.isdigit():
        raise InvalidInput(_("This link is not a label code."), "not_a_label_link")
    return Entered(digits=serial, gtin=values.get("01"))

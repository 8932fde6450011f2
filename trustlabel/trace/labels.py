"""Our labels as EPCs: a labelled item is the SGTIN of its product's GTIN and the serial its
QR code carries, the printed code (a scratch-off label: the public serial outside, never
the hidden code). Events about the item and checks of its code speak of the same thing.
"""

from dataclasses import dataclass

from trustlabel.codes import codec
from trustlabel.codes.keys import code_key, code_key_for_digit, serial_of
from trustlabel.codes.models import KeyVersion, LabelOrder

from .identifiers import CANONICAL_BASE, dl_escape

_SGTIN = f"{CANONICAL_BASE}/01/"


@dataclass(frozen=True)
class Label:
    order: LabelOrder
    key_version: int
    serial: int

    @property
    def lot(self):
        return self.order.lot


def label_epc(order: LabelOrder, serial: int) -> str:
    """The item's EPC (canonical Digital Link) of a label of `order`."""
    key = code_key(KeyVersion.objects.get(pk=order.key_version_id))
    text = (
        key.public_serial(serial) if order.layout == LabelOrder.Layout.SCRATCH else key.code(serial)
    )
    return f"{_SGTIN}{order.product.gtin}/21/{text}"


def label_of(epc: str) -> Label | None:
    """The label an SGTIN (canonical key) names, when it is one of ours."""
    if not epc.startswith(_SGTIN):
        return None
    gtin, _, serial_text = epc[len(_SGTIN) :].partition("/21/")
    label = label_of_digits(serial_text)
    if label is None or label.order.product.gtin != gtin:
        return None
    return label


def label_of_digits(digits: str) -> Label | None:
    """The label whose QR code carries `digits` as its serial: the 20-digit code of an
    open label, the 12-digit public serial of a scratch-off label (never its hidden
    code, which no event may name)."""
    if not (digits.isascii() and digits.isdigit() and codec.damm_valid(digits)):
        return None
    from trustlabel.verify.core import find_order  # verify depends on trace's models

    key = code_key_for_digit(int(digits[0]))
    if key is None:
        return None
    if len(digits) == codec.CODE_LENGTH:
        serial, layout = serial_of(key, digits), LabelOrder.Layout.OPEN
    elif len(digits) == codec.PUBLIC_LENGTH:
        serial = key.serial_of_public(codec.parse_public_serial(digits))
        layout = LabelOrder.Layout.SCRATCH
    else:
        return None
    order = find_order(key.version, serial) if serial is not None else None
    if order is None or order.layout != layout:
        return None
    return Label(order, key.version, serial)


def lot_class(lot) -> str:
    """A lot as an EPC class (LGTIN), as a GS1 Digital Link."""
    return f"{_SGTIN}{lot.product.gtin}/10/{dl_escape(lot.lot_number)}"

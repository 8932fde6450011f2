"""Our labels as EPCs: a labelled item is the SGTIN of its product's GTIN and the serial its
QR code carries, the printed code (a scratch-off label: the public serial outside, never
the hidden code). Events about the item and checks of its code speak of the same thing.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q

from trustlabel.codes import codec
from trustlabel.codes.keys import code_key_for_digit, code_key_of_version, serial_of
from trustlabel.codes.models import LabelOrder

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
    key = code_key_of_version(order.key_version_id)
    text = (
        key.public_serial(serial) if order.layout == LabelOrder.Layout.SCRATCH else key.code(serial)
    )
    return f"{_SGTIN}{order.product.gtin}/21/{text}"


def label_of(epc: str) -> Label | None:
    """The label an SGTIN (canonical key) names, when it is one of ours."""
    return labels_of([epc]).get(epc)


def labels_of(epcs: Iterable[str]) -> dict[str, Label]:
    """`label_of` for many identifiers (a pallet's items), with one query for their
    orders: the identifiers that are labels of ours, and their labels."""
    decoded = {}
    for epc in epcs:
        if epc.startswith(_SGTIN):
            gtin, _, text = epc[len(_SGTIN) :].partition("/21/")
            found = _decoded(text)
            if found is not None:
                decoded[epc] = (gtin, *found)
    if not decoded:
        return {}
    ranges = Q()
    for version in {version for _, version, _, _ in decoded.values()}:
        serials = [serial for _, v, serial, _ in decoded.values() if v == version]
        ranges |= Q(
            key_version_id=version, serial_start__lte=max(serials), serial_end__gt=min(serials)
        )
    orders = defaultdict(list)
    for order in (
        LabelOrder.objects.select_related("product__organisation", "lot")
        .alias(serial_end=F("serial_start") + F("quantity"))
        .filter(ranges)
        .order_by("serial_start")
    ):
        orders[order.key_version_id].append(order)
    starts = {version: [o.serial_start for o in found] for version, found in orders.items()}
    labels = {}
    for epc, (gtin, version, serial, layout) in decoded.items():
        place = bisect.bisect_right(starts.get(version, []), serial) - 1
        order = orders[version][place] if place >= 0 else None
        if (
            order is not None
            and order.contains(serial)
            and order.layout == layout
            and order.product.gtin == gtin
        ):
            labels[epc] = Label(order, version, serial)
    return labels


def label_of_digits(digits: str) -> Label | None:
    """The label whose QR code carries `digits` as its serial: the 20-digit code of an
    open label, the 12-digit public serial of a scratch-off label (never its hidden
    code, which no event may name)."""
    from trustlabel.verify.core import find_order  # verify depends on trace's models

    found = _decoded(digits)
    if found is None:
        return None
    version, serial, layout = found
    order = find_order(version, serial)
    if order is None or order.layout != layout:
        return None
    return Label(order, version, serial)


def _decoded(digits: str) -> tuple[int, int, str] | None:
    """(key version, internal serial, layout) of the serial a label's QR code carries,
    when its check digit and (for a code) its MAC are right; no database needed."""
    if not (digits.isascii() and digits.isdigit() and codec.damm_valid(digits)):
        return None
    key = code_key_for_digit(int(digits[0]))
    if key is None:
        return None
    if len(digits) == codec.CODE_LENGTH:
        serial = serial_of(key, digits)
        return None if serial is None else (key.version, serial, LabelOrder.Layout.OPEN)
    if len(digits) == codec.PUBLIC_LENGTH:
        serial = key.serial_of_public(codec.parse_public_serial(digits))
        return key.version, serial, LabelOrder.Layout.SCRATCH
    return None


def lot_class(lot) -> str:
    """A lot as an EPC class (LGTIN), as a GS1 Digital Link."""
    return f"{_SGTIN}{lot.product.gtin}/10/{dl_escape(lot.lot_number)}"

"""GTIN parsing: any GTIN-8/12/13/14 in, a validated GTIN-14 out."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError


def normalise_gtin(value: str) -> str:
    digits = "".join(str(value).split())
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise ValidationError(_("A GTIN has 8, 12, 13 or 14 digits."), code="gtin_format")
    try:
        ean.validate(digits)
    except StdnumError:
        raise ValidationError(
            _("The GTIN's check digit is wrong; please check the number."), code="gtin_check"
        ) from None
    return digits.zfill(14)


def validate_gtin14(value: str) -> None:
    if len(value) != 14:
        raise ValidationError(_("A GTIN-14 has 14 digits."), code="gtin_format")
    normalise_gtin(value)

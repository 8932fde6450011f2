"""The unified social credit code (统一社会信用代码, GB 32100-2015), checked by python-stdnum."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions
from stdnum.cn import uscc

INVALID = _("%(value)s is not a valid unified social credit code: %(reason)s")
REASONS = {
    "length": _("it has %(length)d characters instead of 18."),
    "characters": _(
        "the first 8 characters are digits and the others digits or capital letters "
        "other than I, O, S, V and Z."
    ),
    "check": _("its check character (the last one) does not match the others."),
}


def compact(value: str) -> str:
    """What people type, as the code is stored: without spaces or dashes, in capitals."""
    return uscc.compact(value)


def validate_uscc(value: str) -> None:
    problem = None
    if len(value) != 18:
        problem = "length"
    elif value != uscc.compact(value):
        # stdnum forgives spaces and small letters; the stored code must not need it.
        problem = "characters"
    else:
        try:
            uscc.validate(value)
        except exceptions.InvalidLength:
            problem = "length"
        except exceptions.InvalidFormat:
            problem = "characters"
        except exceptions.InvalidChecksum:
            problem = "check"
    if problem is None:
        return
    reason = REASONS[problem] % {"length": len(value)} if problem == "length" else REASONS[problem]
    raise ValidationError(
        INVALID, code=f"uscc_{problem}", params={"value": value, "reason": reason}
    )

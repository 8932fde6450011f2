"""What each verdict means, in words anyone understands; shared by every channel."""

from django.utils.translation import gettext_lazy as _

from .models import VerdictKind

HEADLINES = {
    VerdictKind.GENUINE: _("Genuine product"),
    VerdictKind.GENUINE_CHECKED_BEFORE: _("Genuine product, checked before"),
    VerdictKind.SUSPECTED_COPY: _("Warning: this code may have been copied"),
    VerdictKind.MISTYPED: _("This code looks mistyped"),
    VerdictKind.UNKNOWN: _("This code is not on record"),
    VerdictKind.EXPIRED: _("Genuine, but past its expiry date"),
    VerdictKind.PIN_REQUIRED: _("Scratch off the coating to check this label"),
    VerdictKind.NOT_ACTIVATED: _("This label has not been activated"),
    VerdictKind.RECALLED: _("Recalled: stop using this product"),
    VerdictKind.OUTSIDE_REGION: _("Genuine, but outside its sales region"),
}

EXPLANATIONS = {
    VerdictKind.GENUINE: _(
        "This is the first time this code has been checked. The product was made by the "
        "enterprise shown below."
    ),
    VerdictKind.GENUINE_CHECKED_BEFORE: _(
        "The code is genuine and has been checked before. If you did not check it "
        "yourself, ask the seller about it."
    ),
    VerdictKind.SUSPECTED_COPY: _(
        "This code has been checked too often or in places too far apart to be one label. "
        "The product may be counterfeit: keep the receipt and do not use it until you have "
        "asked the seller or the enterprise."
    ),
    VerdictKind.MISTYPED: _(
        "The digits do not add up, which usually means a typing mistake. Please compare "
        "each digit with the label and try again. This does not mean the product is fake."
    ),
    VerdictKind.UNKNOWN: _(
        "No label with this code was ever issued. Check that you typed it correctly; if it "
        "is right, the label may be counterfeit."
    ),
    VerdictKind.EXPIRED: _("The label is genuine, but the product is past its expiry date."),
    VerdictKind.PIN_REQUIRED: _(
        "This is the label's public serial. Scratch off the coating and enter the hidden "
        "code to check that the product is genuine."
    ),
    VerdictKind.NOT_ACTIVATED: _(
        "The label was printed by the enterprise below but has not been put on a product "
        "yet. A product carrying it may not be genuine: ask the seller, or contact the "
        "enterprise."
    ),
    VerdictKind.RECALLED: _(
        "The product is genuine, but its maker has recalled this production lot. Follow "
        "the instructions below."
    ),
    VerdictKind.OUTSIDE_REGION: _(
        "The label is genuine, but the product was shipped to a distributor for another "
        "region: it may have been diverted. The evidence is below and has been sent to the "
        "enterprise."
    ),
}

TOO_MANY_ATTEMPTS = _("Too many attempts. Please wait a moment and try again.")

"""What a product's maker has promised under the association's programmes, as the consumer
sees it on a check's page.

A promise stands while its application is the current approved version and its
certificate is valid: a revoked, replaced or expired certificate takes the programme's
mark off the product at once. This runs on every consumer check, so it costs a fixed
handful of queries however many programmes cover the product; nothing is cached, because
a revocation must show at the next check on every web worker.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from .models import (
    Application,
    Certificate,
    CommitmentItem,
    CoveredProduct,
    DeclaredStandard,
    Programme,
)

_ITEM_ORDER = {item: position for position, item in enumerate(CommitmentItem.values)}


def in_force(on_date: dt.date, prefix: str = "") -> Q:
    """Applications that are the current approved version with a certificate valid on
    `on_date`, as a filter (`prefix` leads from the queried model to the application):
    the conditions of `Certificate.state()` being VALID, in SQL."""
    current = Q(
        **{f"{prefix}status": Application.Status.APPROVED, f"{prefix}superseded_at__isnull": True}
    )
    return current & Certificate.in_state(
        Certificate.State.VALID, on_date, prefix=f"{prefix}certificate__"
    )


@dataclass(frozen=True)
class Promise:
    """One programme's promise about one product: the maker's commitment, its service
    promises and the standards it declared for the product."""

    application: Application
    programme: Programme
    certificate: Certificate
    statements: list
    service_promises: list
    standards: list  # DeclaredStandard, each with its indicators prefetched

    @property
    def approved_on(self) -> dt.date | None:
        """The day the commitment took effect, in the deployment's time zone (as the
        certificate's dates are)."""
        approved = self.application.approved_at
        return timezone.localdate(approved) if approved else None

    @property
    def mark_url(self) -> str:
        return self.programme.mark.url if self.programme.mark else ""

    @property
    def certificate_path(self) -> str:
        return certificate_path(self.certificate.number)


def certificate_path(number: str) -> str:
    """The public page that checks a certificate (the directory's certificate checks)."""
    return reverse("directory:certificate", args=[number])


def promises_for(product_id: int, on_date: dt.date) -> list[Promise]:
    """The promises in force for the product on `on_date`, newest programme first.

    Five queries whatever the number of programmes: the coverings with their application,
    programme and certificate, then the statements, service promises, standards and
    indicators of those found."""
    coverings = (
        CoveredProduct.objects.filter(in_force(on_date, "application__"), product_id=product_id)
        .select_related("application__programme", "application__certificate")
        .prefetch_related(
            "application__statements",
            "application__service_promises",
            Prefetch("standards", queryset=DeclaredStandard.objects.prefetch_related("indicators")),
        )
        .order_by("-application__programme__year", "application__programme__code")
    )
    promises = []
    for covered in coverings:
        application = covered.application
        promises.append(
            Promise(
                application=application,
                programme=application.programme,
                certificate=application.certificate,
                statements=sorted(
                    application.statements.all(), key=lambda s: _ITEM_ORDER.get(s.item, 99)
                ),
                service_promises=list(application.service_promises.all()),
                standards=list(covered.standards.all()),
            )
        )
    return promises


# --- the signed note a check's page gives its report forms --------------------------------
#
# A consumer may report a broken promise only from the page of a check: the page carries a
# signed note of the label checked and the product, good for a few hours, so nobody can
# file reports about arbitrary products without holding one of their labels.

REPORT_SALT = "trustlabel.integrity.promise-report"
REPORT_MAX_AGE = 6 * 3600


def report_token(product_id: int, order_id: int | None, serial: int | None) -> str:
    return signing.dumps(
        {"product": product_id, "order": order_id, "serial": serial}, salt=REPORT_SALT
    )


def read_report_token(token: str) -> dict:
    """The note's content; raises signing.BadSignature (or SignatureExpired) otherwise."""
    note = signing.loads(token, salt=REPORT_SALT, max_age=REPORT_MAX_AGE)
    if not isinstance(note, dict) or not isinstance(note.get("product"), int):
        raise signing.BadSignature("not a report note")
    return note

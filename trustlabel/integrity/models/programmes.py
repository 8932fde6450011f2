"""Label programmes and the applications enterprises make to them.

An application's content (its commitment, its products' standard self-declarations and
its documents) can change only while the enterprise holds it (draft or returned); from
approval on it is frozen and hashed into the ledger. A revised commitment is a new
application that `revises` the approved one, with the next version number, so the
history of what an enterprise promised stays visible.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Product
from trustlabel.storage import private_storage


class Programme(models.Model):
    """A campaign of the association: enterprises apply, and those approved may print its
    label mark on the products they applied for."""

    class Kind(models.TextChoices):
        CONSUMER_RIGHTS = "consumer_rights", _("3.15 quality-integrity commitment")
        QUALITY_MONTH = "quality_month", _("Quality Month")
        STABLE_QUALIFIED = "stable_qualified", _("Nationally stable qualified product")
        OTHER = "other", _("Other programme")

    code = models.SlugField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Short and unchanging, e.g. 315-2026; certificate numbers begin with it"),
    )
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    requirements = models.TextField(
        _("what an application must contain"),
        help_text=_("Shown to enterprises before they apply"),
    )
    required_documents = models.JSONField(
        _("required supporting documents"),
        default=list,
        blank=True,
        help_text=_("Kinds of document every application must include"),
    )
    mark = models.ImageField(
        _("label mark"),
        upload_to="programmes/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"])],
        help_text=_("PNG or JPEG; printed on the label sheets of approved products"),
    )
    opens_on = models.DateField(_("applications open on"))
    closes_on = models.DateField(_("applications close on"))
    valid_until = models.DateField(_("certificates valid until"))
    label_quota = models.PositiveBigIntegerField(
        _("label quota per enterprise"),
        null=True,
        blank=True,
        help_text=_("Most labels one enterprise may order under the programme; empty for no limit"),
    )
    issue_on_approval = models.BooleanField(
        _("issue each certificate on approval"),
        default=True,
        help_text=_(
            "Otherwise the association issues the certificates together, in one batch "
            "(e.g. on the day the approved list is announced)"
        ),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("label programme")
        verbose_name_plural = _("label programmes")
        ordering = ["-year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="programme_closes_after_opening",
                violation_error_message=_("Applications must close on or after the day they open."),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("closes_on")),
                name="programme_valid_after_closing",
                violation_error_message=_(
                    "Certificates must stay valid at least until applications close."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.required_documents or []) - set(SupportingDocument.Kind.values)
        if unknown:
            raise ValidationError({"required_documents": _("Unknown kind of document.")})

    def display_name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def is_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today <= self.closes_on


class CommitmentItem(models.TextChoices):
    """The standard items of a quality-integrity commitment, in the order of the
    association's model text; each is answered with the enterprise's own words of how."""

    LAWS = "laws", _("Comply with laws, regulations and standards")
    QUALITY_SYSTEM = "quality_system", _("Run a quality management system and keep records")
    KEY_PROCESSES = "key_processes", _("Control key production processes")
    INSPECTION = "inspection", _("Inspect and measure products")
    TRACEABILITY = "traceability", _("Keep products traceable")
    SAFETY = "safety", _("Keep products safe")
    AFTER_SALES = "after_sales", _("Honour warranties, returns and recalls")
    COMPENSATION = "compensation", _("Pay for damage caused")
    STANDARDS = "standards", _("Declare the standards followed")


class Application(models.Model):
    """An enterprise's application to a programme, and the unit of review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        SECOND_REVIEW = "second_review", _("Awaiting a second approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", pgettext_lazy("application status", "Approved")
        REJECTED = "rejected", pgettext_lazy("application status", "Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # While in these, the enterprise may change the content.
    EDITABLE = (Status.DRAFT, Status.RETURNED)
    # At most one application per enterprise and programme is in one of these.
    OPEN = (
        Status.DRAFT,
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.SECOND_REVIEW,
        Status.RETURNED,
    )

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="applications",
        limit_choices_to={"kind": Organisation.Kind.ENTERPRISE},
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveSmallIntegerField(_("commitment version"), default=1)
    # A version in force may see revisions withdrawn or rejected before one is approved.
    revises = models.ForeignKey(
        "self",
        verbose_name=_("revises"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions",
    )
    service_note = models.TextField(
        _("further service commitments"),
        blank=True,
        help_text=_("Anything the enterprise promises beyond the listed service items"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    first_approval_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first approval by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("replaced by a revision at"), null=True, blank=True)
    # SHA-256 of the canonical commitment document, fixed at approval (and in the ledger).
    content_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation"],
                condition=models.Q(
                    status__in=[
                        "draft",
                        "submitted",
                        "in_review",
                        "second_review",
                        "returned",
                    ]
                ),
                name="one_open_application_per_programme",
                violation_error_message=_(
                    "The enterprise already has an open application to this programme."
                ),
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="application_by_status")]

    def __str__(self) -> str:
        return f"{self.organisation.name} / {self.programme.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_current(self) -> bool:
        """Approved and not replaced by a revision: what the enterprise promises now."""
        return self.status == self.Status.APPROVED and self.superseded_at is None


class CommitmentStatement(models.Model):
    """One standard commitment item, with the enterprise's own words of how it keeps it."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="statements"
    )
    item = models.CharField(_("commitment"), max_length=20, choices=CommitmentItem.choices)
    how = models.TextField(_("how the enterprise keeps it"), max_length=2000)

    class Meta:
        verbose_name = _("commitment item")
        verbose_name_plural = _("commitment items")
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="statement_once")
        ]

    def __str__(self) -> str:
        return self.get_item_display()


class ServicePromise(models.Model):
    """A free commitment on service: response times, warranty terms and the like."""

    class Topic(models.TextChoices):
        RESPONSE_TIME = "response_time", _("Response time")
        WARRANTY = "warranty", _("Warranty terms")
        RETURNS = "returns", _("Returns and exchanges")
        REPAIR = "repair", _("Repair and maintenance")
        OTHER = "other", _("Other service")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="service_promises"
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    text = models.CharField(_("what the enterprise promises"), max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("service commitment")
        verbose_name_plural = _("service commitments")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class CoveredProduct(models.Model):
    """A product an application is for, with its standard self-declaration."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="covered_products"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="coverings"
    )

    class Meta:
        verbose_name = _("product applied for")
        verbose_name_plural = _("products applied for")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "product"], name="product_once")
        ]

    def __str__(self) -> str:
        return str(self.product)


# A standard's number by its kind (GB/T 1.1 numbering): national GB, GB/T or GB/Z; an
# industry code of two capital letters other than GB (QB/T, SN/T...); group T/<body>;
# enterprise Q/<code>; then a number and, after a dash, the year.
STANDARD_NUMBER = {
    "national": re.compile(r"^GB(/[TZ])? ?\d+(\.\d+)*-\d{4}$"),
    "industry": re.compile(r"^(?!GB)[A-Z]{2}(/[TZ])? ?\d+(\.\d+)*-\d{4}$"),
    "group": re.compile(r"^T/[A-Z0-9]{2,12} ?[A-Z]*\d+(\.\d+)*-\d{4}$"),
    "enterprise": re.compile(r"^Q/[A-Z0-9]{1,16} ?[A-Z0-9.]*\d+(\.\d+)*(-\d{4})?[A-Z]?$"),
}


class DeclaredStandard(models.Model):
    """A standard a product follows, as its maker declares it (标准自我声明)."""

    class Kind(models.TextChoices):
        NATIONAL = "national", _("National standard (GB)")
        INDUSTRY = "industry", _("Industry standard")
        GROUP = "group", _("Group standard (T/)")
        ENTERPRISE = "enterprise", _("Enterprise standard (Q/)")

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("In force")
        REVISED = "revised", _("Revised")
        ABOLISHED = "abolished", _("Abolished")

    covered = models.ForeignKey(CoveredProduct, on_delete=models.CASCADE, related_name="standards")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    number = models.CharField(
        _("standard number"),
        max_length=60,
        help_text=_("As published, e.g. GB/T 7725-2022, T/CAS 115-2020, Q/GREE 001-2024"),
    )
    name = models.CharField(_("standard name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IN_FORCE
    )
    text = models.FileField(
        _("text of the standard (PDF)"),
        upload_to="standards/",
        storage=private_storage,
        blank=True,
        validators=[FileExtensionValidator(["pdf"])],
    )
    text_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("declared standard")
        verbose_name_plural = _("declared standards")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["covered", "number"], name="standard_once_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        self.number = " ".join(self.number.split()).upper()
        pattern = STANDARD_NUMBER.get(self.kind)
        if pattern is not None and not pattern.match(self.number):
            raise ValidationError(
                {
                    "number": _("%(number)s is not the number of a %(kind)s, e.g. %(example)s.")
                    % {
                        "number": self.number,
                        "kind": self.get_kind_display(),
                        "example": STANDARD_EXAMPLES[self.kind],
                    }
                }
            )


STANDARD_EXAMPLES = {
    "national": "GB/T 7725-2022",
    "industry": "QB/T 1587-2019",
    "group": "T/CAS 115-2020",
    "enterprise": "Q/GREE 001-2024",
}


class Indicator(models.Model):
    """One row of an enterprise standard's indicator table."""

    standard = models.ForeignKey(
        DeclaredStandard, on_delete=models.CASCADE, related_name="indicators"
    )
    name = models.CharField(_("indicator"), max_length=200)
    value = models.CharField(_("value"), max_length=100)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    test_method = models.CharField(_("test method"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name}: {self.value} {self.unit}".strip()


class SupportingDocument(models.Model):
    """A licence, inspection report or other document submitted with an application."""

    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        PRODUCTION_LICENCE = "production_licence", _("Production licence")
        INSPECTION_REPORT = "inspection_report", _("Inspection report")
        CERTIFICATION = "certification", _("Certification (e.g. ISO 9001)")
        OTHER = "other", _("Other document")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file (PDF, PNG or JPEG)"),
        upload_to="applications/",
        storage=private_storage,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"])],
    )
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class ReviewStep(models.Model):
    """One step of an application's life, in its audit trail; never changed or deleted."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("review step", "Created")
        SUBMIT = "submit", pgettext_lazy("review step", "Submitted")
        START_REVIEW = "start_review", _("Review started")
        RETURN = "return", _("Returned with comments")
        RESUBMIT = "resubmit", _("Resubmitted")
        FIRST_APPROVAL = "first_approval", _("First approval")
        APPROVE = "approve", pgettext_lazy("review step", "Approved")
        REJECT = "reject", pgettext_lazy("review step", "Rejected")
        WITHDRAW = "withdraw", pgettext_lazy("review step", "Withdrawn")
        SUPERSEDE = "supersede", _("Replaced by a revision")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(_("step"), max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, choices=Application.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Application.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", null=True
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

"""Every write to an application, and the review workflow as a state machine.

    draft ──submit──▶ submitted ──start_review──▶ in_review ──approve──▶ second_review
      ▲                   ▲                          │  │                 │  │  │
      │                   └──────resubmit── returned ◀──┘return      return┘  │  │
      └ withdraw: draft, submitted, returned              reject ─▶ rejected ◀─┘  │
                                                 approve by another reviewer ──▶ approved

The enterprise holds the pen in draft and returned; the association reviews. Approval
needs two people of the association: the second approval must come from someone other
than the first (four eyes). Each step locks the application's row, checks the step is
allowed from the state it finds, and writes a `ReviewStep` to the audit trail. Approval
freezes the content, puts its hash in the ledger and issues the certificate.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.catalog.models import Product
from trustlabel.ledger import records as ledger
from trustlabel.storage import file_sha256

from .. import directory
from ..commitments import commitment_sha256
from ..models import (
    Application,
    CommitmentItem,
    CommitmentStatement,
    CoveredProduct,
    DeclaredStandard,
    Indicator,
    Member,
    Programme,
    ReviewStep,
    ServicePromise,
    SupportingDocument,
)
from ..uploads import check_upload

Status = Application.Status
Step = ReviewStep.Action


# --- programmes ---------------------------------------------------------------------------

PROGRAMME_FIELDS = (
    "code",
    "name",
    "name_en",
    "kind",
    "year",
    "requirements",
    "required_documents",
    "mark",
    "opens_on",
    "closes_on",
    "valid_until",
    "label_quota",
    "issue_on_approval",
)


def do_save_programme(actor: Actor, programme: Programme | None = None, **fields) -> Programme:
    """Define a programme, or change one; the association only."""
    if not actor.is_association:
        raise PermissionDenied
    unknown = fields.keys() - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"not programme fields: {', '.join(sorted(unknown))}")
    if (
        programme is not None
        and "code" in fields
        and fields["code"] != Programme.objects.get(pk=programme.pk).code
        and programme.applications.exists()
    ):
        # Certificate numbers begin with the code, and enterprises quote it.
        raise ValidationError(
            {"code": _("The code cannot change once enterprises have applied to the programme.")}
        )
    programme = programme or Programme()
    for name, value in fields.items():
        setattr(programme, name, value)
    with transaction.atomic():
        programme.full_clean()
        programme.save()
    return programme


# --- the enterprise's side ----------------------------------------------------------------


def _require_holder(actor: Actor, application: Application) -> None:
    """The enterprise may act on its own application only, and change it only while it
    holds it."""
    if not actor.can_manage(application.organisation_id):
        raise PermissionDenied
    if not application.is_editable:
        raise ValidationError(
            _("This application is %(status)s: it can no longer be changed.")
            % {"status": application.get_status_display().lower()}
        )


def _own_products(actor: Actor, products) -> list[Product]:
    products = list(products)
    if not products:
        raise ValidationError(_("Choose at least one product."))
    if any(product.organisation_id != actor.organisation.pk for product in products):
        raise ValidationError(_("You can apply only for your own products."))
    return products


def _locked(application: Application) -> Application:
    """The application's row, locked for the rest of the transaction, as it is now."""
    return (
        Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    )


def _step(
    actor: Actor, application: Application, action: str, to_status: str, comment: str = ""
) -> ReviewStep:
    step = ReviewStep.objects.create(
        application=application,
        action=action,
        from_status=application.status if action != Step.CREATE else "",
        to_status=to_status,
        user=actor.user,
        organisation=actor.organisation,
        comment=comment.strip(),
    )
    application.status = to_status
    return step


@transaction.atomic
def do_start_application(actor: Actor, programme: Programme, products) -> Application:
    """A new draft application of the actor's enterprise to an open programme."""
    if not actor.is_enterprise:
        raise PermissionDenied
    member = Member.objects.filter(organisation=actor.organisation).first()
    if member is not None and member.status in (Member.Status.SUSPENDED, Member.Status.LAPSED):
        raise ValidationError(
            _(
                "Your membership is %(status)s: the association accepts applications "
                "only from members in good standing."
            )
            % {"status": member.get_status_display().lower()}
        )
    if not programme.is_open():
        raise ValidationError(
            _("Applications to %(programme)s are open from %(opens)s to %(closes)s.")
            % {
                "programme": programme.name,
                "opens": programme.opens_on.isoformat(),
                "closes": programme.closes_on.isoformat(),
            }
        )
    products = _own_products(actor, products)
    current = current_application(actor.organisation.pk, programme)
    if current is not None:
        raise ValidationError(
            _(
                "Your enterprise is already approved in this programme: revise that "
                "commitment instead of applying again."
            )
        )
    application = Application(
        programme=programme, organisation=actor.organisation, created_by=actor.user
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ValidationError(
            _("Your enterprise already has an open application to this programme.")
        ) from None
    CoveredProduct.objects.bulk_create(
        CoveredProduct(application=application, product=product) for product in products
    )
    _step(actor, application, Step.CREATE, Status.DRAFT)
    return application


def current_application(organisation_id: int, programme: Programme) -> Application | None:
    """The enterprise's approved, unreplaced application to the programme, if any."""
    return (
        Application.objects.filter(
            organisation_id=organisation_id,
            programme=programme,
            status=Status.APPROVED,
            superseded_at__isnull=True,
        )
        .order_by("-version")
        .first()
    )


@transaction.atomic
def do_save_commitment(
    actor: Actor,
    application: Application,
    statements: dict[str, str],
    service_promises: list[tuple[str, str]] = (),
    service_note: str = "",
) -> Application:
    """Write the commitment: each standard item's "how", and the service promises."""
    application = _locked(application)
    _require_holder(actor, application)
    unknown = statements.keys() - set(CommitmentItem.values)
    if unknown:
        raise ValidationError(_("Unknown commitment item."))
    how_limit = CommitmentStatement._meta.get_field("how").max_length
    if any(len(how.strip()) > how_limit for how in statements.values()):
        raise ValidationError(
            _("Say how in at most %(limit)s characters per commitment item.") % {"limit": how_limit}
        )
    topics = set(ServicePromise.Topic.values)
    if any(topic not in topics or not text.strip() for topic, text in service_promises):
        raise ValidationError(_("Each service commitment needs a topic and its text."))
    text_limit = ServicePromise._meta.get_field("text").max_length
    if any(len(text.strip()) > text_limit for _topic, text in service_promises):
        raise ValidationError(
            _("A service commitment may hold at most %(limit)s characters.") % {"limit": text_limit}
        )
    application.statements.all().delete()
    CommitmentStatement.objects.bulk_create(
        CommitmentStatement(application=application, item=item, how=how.strip())
        for item, how in statements.items()
        if how.strip()
    )
    application.service_promises.all().delete()
    ServicePromise.objects.bulk_create(
        ServicePromise(application=application, topic=topic, text=text.strip(), position=i)
        for i, (topic, text) in enumerate(service_promises)
    )
    application.service_note = service_note.strip()
    application.save(update_fields=["service_note"])
    return application


@transaction.atomic
def do_set_products(actor: Actor, application: Application, products) -> Application:
    """Which products the application is for; declarations of products kept stay."""
    application = _locked(application)
    _require_holder(actor, application)
    products = {product.pk: product for product in _own_products(actor, products)}
    application.covered_products.exclude(product__in=products.keys()).delete()
    kept = set(application.covered_products.values_list("product_id", flat=True))
    CoveredProduct.objects.bulk_create(
        CoveredProduct(application=application, product=product)
        for pk, product in products.items()
        if pk not in kept
    )
    return application


INDICATOR_FIELDS = ("name", "value", "unit", "test_method")


@transaction.atomic
def do_declare_standard(
    actor: Actor,
    covered: CoveredProduct,
    kind: str,
    number: str,
    name: str,
    status: str = DeclaredStandard.Status.IN_FORCE,
    text=None,
    indicators: list[dict] = (),
    standard: DeclaredStandard | None = None,
) -> DeclaredStandard:
    """Declare (or correct) one standard a product follows; `indicators` are rows of
    {name, value, unit, test_method} for an enterprise standard's indicator table."""
    _require_holder(actor, _locked(covered.application))
    rows = _indicator_rows(indicators)  # before anything is stored: the upload included
    if standard is not None:
        # As stored, so a refused correction leaves the caller's copy as it was.
        standard = DeclaredStandard.objects.filter(pk=standard.pk, covered=covered).first()
        if standard is None:
            raise PermissionDenied
    standard = standard or DeclaredStandard(covered=covered)
    standard.kind, standard.number, standard.name, standard.status = kind, number, name, status
    if text is not None:
        check_upload(text, "text")
        standard.text = text
        standard.text_sha256 = file_sha256(text)
    standard.full_clean(validate_constraints=False)
    if (
        DeclaredStandard.objects.filter(covered=covered, number=standard.number)
        .exclude(pk=standard.pk)
        .exists()
    ):
        raise ValidationError(
            {"number": _("This product already declares %(number)s.") % {"number": standard.number}}
        )
    standard.save()
    standard.indicators.all().delete()
    Indicator.objects.bulk_create(
        Indicator(
            standard=standard,
            name=row["name"].strip(),
            value=str(row["value"]).strip(),
            unit=row.get("unit", "").strip(),
            test_method=row.get("test_method", "").strip(),
            position=i,
        )
        for i, row in enumerate(rows)
    )
    return standard


def _indicator_rows(indicators: list[dict]) -> list[dict]:
    """The indicator rows that are not empty, checked: ValidationError for the first
    without a name or value, or with a field longer than its column."""
    rows = [row for row in indicators if any(str(v).strip() for v in row.values())]
    for i, row in enumerate(rows, 1):
        if not str(row.get("name", "")).strip() or not str(row.get("value", "")).strip():
            raise ValidationError(
                _("Indicator row %(row)s needs at least a name and a value.") % {"row": i}
            )
        for field in INDICATOR_FIELDS:
            limit = Indicator._meta.get_field(field).max_length
            if len(str(row.get(field, "")).strip()) > limit:
                raise ValidationError(
                    _("Indicator row %(row)s: %(field)s may hold at most %(limit)s characters.")
                    % {
                        "row": i,
                        "field": Indicator._meta.get_field(field).verbose_name,
                        "limit": limit,
                    }
                )
    return rows


@transaction.atomic
def do_remove_standard(actor: Actor, standard: DeclaredStandard) -> None:
    _require_holder(actor, _locked(standard.covered.application))
    standard.delete()


@transaction.atomic
def do_attach_document(
    actor: Actor, application: Application, kind: str, title: str, file
) -> SupportingDocument:
    application = _locked(application)
    _require_holder(actor, application)
    document = SupportingDocument(
        application=application, kind=kind, title=title.strip(), file=file
    )
    document.full_clean(exclude=["sha256"])  # the allowed types: the model's validator
    check_upload(file)
    document.sha256 = file_sha256(file)
    document.save()
    return document


@transaction.atomic
def do_remove_document(actor: Actor, document: SupportingDocument) -> None:
    _require_holder(actor, _locked(document.application))
    document.delete()


def missing_parts(application: Application) -> list[str]:
    """What the application still lacks before it can be submitted, in words."""
    problems = []
    answered = set(application.statements.values_list("item", flat=True))
    for item in CommitmentItem:
        if item.value not in answered:
            problems.append(_("Say how you keep the commitment “%(item)s”.") % {"item": item.label})
    covered = list(application.covered_products.select_related("product"))
    if not covered:
        problems.append(_("Choose at least one product."))
    standards = DeclaredStandard.objects.filter(covered__application=application)
    declared = {}
    for standard in standards.prefetch_related("indicators"):
        declared.setdefault(standard.covered_id, []).append(standard)
    for row in covered:
        mine = declared.get(row.pk, [])
        if not mine:
            problems.append(
                _("Declare at least one standard that %(product)s follows.")
                % {"product": row.product.name}
            )
        for standard in mine:
            if standard.status == DeclaredStandard.Status.ABOLISHED:
                problems.append(
                    _("%(number)s is abolished: declare the standard that replaced it.")
                    % {"number": standard.number}
                )
            if (
                standard.kind == DeclaredStandard.Kind.ENTERPRISE
                and not standard.text
                and not standard.indicators.all()
            ):
                problems.append(
                    _(
                        "Give the indicator table of the enterprise standard %(number)s "
                        "or upload its text as PDF."
                    )
                    % {"number": standard.number}
                )
    present = set(application.documents.values_list("kind", flat=True))
    for kind in application.programme.required_documents:
        if kind not in present:
            problems.append(
                _("Attach the required document: %(kind)s.")
                % {"kind": SupportingDocument.Kind(kind).label}
            )
    return problems


@transaction.atomic
def do_submit(actor: Actor, application: Application, comment: str = "") -> Application:
    """Hand the application to the association (the first time or after changes)."""
    application = _locked(application)
    _require_holder(actor, application)
    problems = missing_parts(application)
    if problems:
        raise ValidationError(problems)
    action = Step.RESUBMIT if application.status == Status.RETURNED else Step.SUBMIT
    _step(actor, application, action, Status.SUBMITTED, comment)
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at"])
    return application


@transaction.atomic
def do_withdraw(actor: Actor, application: Application, comment: str = "") -> Application:
    application = _locked(application)
    if not actor.can_manage(application.organisation_id):
        raise PermissionDenied
    _require_status(application, Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
    _step(actor, application, Step.WITHDRAW, Status.WITHDRAWN, comment)
    application.save(update_fields=["status"])
    return application


@transaction.atomic
def do_start_revision(actor: Actor, application: Application) -> Application:
    """A new version of an approved commitment, as a draft holding a copy of it; the
    approved version stays in force, and public, until the revision is approved."""
    application = _locked(application)
    if not actor.can_manage(application.organisation_id):
        raise PermissionDenied
    if not application.is_current:
        raise ValidationError(_("Only the commitment in force can be revised."))
    # Revisions withdrawn or rejected keep their numbers: versions are never reused.
    last = Application.objects.filter(
        organisation=application.organisation, programme=application.programme
    ).aggregate(last=Max("version"))["last"]
    revision = Application(
        programme=application.programme,
        organisation=application.organisation,
        version=last + 1,
        revises=application,
        service_note=application.service_note,
        created_by=actor.user,
    )
    try:
        with transaction.atomic():
            revision.save()
    except IntegrityError:
        raise ValidationError(
            _("Your enterprise already has an open application to this programme.")
        ) from None
    _copy_content(application, revision)
    _step(
        actor,
        revision,
        Step.CREATE,
        Status.DRAFT,
        _("Revision of version %(v)s") % {"v": application.version},
    )
    return revision


def _copy_content(source: Application, target: Application) -> None:
    CommitmentStatement.objects.bulk_create(
        CommitmentStatement(application=target, item=s.item, how=s.how)
        for s in source.statements.all()
    )
    ServicePromise.objects.bulk_create(
        ServicePromise(application=target, topic=p.topic, text=p.text, position=p.position)
        for p in source.service_promises.all()
    )
    SupportingDocument.objects.bulk_create(
        SupportingDocument(
            application=target, kind=d.kind, title=d.title, file=d.file.name, sha256=d.sha256
        )
        for d in source.documents.all()
    )
    for covered in source.covered_products.prefetch_related("standards__indicators"):
        copy = CoveredProduct.objects.create(application=target, product_id=covered.product_id)
        for standard in covered.standards.all():
            indicators = list(standard.indicators.all())
            standard.pk, standard.covered = None, copy
            standard.save()
            Indicator.objects.bulk_create(
                Indicator(
                    standard=standard,
                    name=i.name,
                    value=i.value,
                    unit=i.unit,
                    test_method=i.test_method,
                    position=i.position,
                )
                for i in indicators
            )


# --- the association's side ---------------------------------------------------------------


def _require_reviewer(actor: Actor) -> None:
    """Reviews are made by named people of the association, never by an API key."""
    if not actor.is_association or actor.user is None:
        raise PermissionDenied


def _require_status(application: Application, *allowed: str) -> None:
    if application.status not in allowed:
        raise ValidationError(
            _("This step is not possible while the application is %(status)s.")
            % {"status": application.get_status_display().lower()}
        )


def _require_reason(comment: str) -> None:
    if not comment.strip():
        raise ValidationError(_("Give the reason, so the enterprise knows what to do."))


@transaction.atomic
def do_start_review(actor: Actor, application: Application, comment: str = "") -> Application:
    application = _locked(application)
    _require_reviewer(actor)
    _require_status(application, Status.SUBMITTED)
    _step(actor, application, Step.START_REVIEW, Status.IN_REVIEW, comment)
    application.save(update_fields=["status"])
    return application


@transaction.atomic
def do_return(actor: Actor, application: Application, comment: str) -> Application:
    """Back to the enterprise with comments; a first approval given is void."""
    application = _locked(application)
    _require_reviewer(actor)
    _require_status(application, Status.IN_REVIEW, Status.SECOND_REVIEW)
    _require_reason(comment)
    _step(actor, application, Step.RETURN, Status.RETURNED, comment)
    application.first_approval_by = None
    application.save(update_fields=["status", "first_approval_by"])
    return application


@transaction.atomic
def do_reject(actor: Actor, application: Application, comment: str) -> Application:
    application = _locked(application)
    _require_reviewer(actor)
    _require_status(application, Status.IN_REVIEW, Status.SECOND_REVIEW)
    _require_reason(comment)
    _step(actor, application, Step.REJECT, Status.REJECTED, comment)
    application.save(update_fields=["status"])
    return application


@transaction.atomic
def do_approve(actor: Actor, application: Application, comment: str = "") -> Application:
    """The first approval hands the application to a second reviewer; the second, by
    someone else, approves it: the content is frozen and hashed into the ledger, a
    revision replaces the version it revises, and the certificate is issued (a first
    application's may be left for the programme's batch)."""
    from .certificates import do_issue_certificate

    application = _locked(application)
    _require_reviewer(actor)
    _require_status(application, Status.IN_REVIEW, Status.SECOND_REVIEW)
    if application.status == Status.IN_REVIEW:
        _step(actor, application, Step.FIRST_APPROVAL, Status.SECOND_REVIEW, comment)
        application.first_approval_by = actor.user
        application.save(update_fields=["status", "first_approval_by"])
        return application
    if application.first_approval_by_id == actor.user.pk:
        raise ValidationError(
            _("You gave the first approval: a second reviewer must give the final one.")
        )
    now = timezone.now()
    _step(actor, application, Step.APPROVE, Status.APPROVED, comment)
    application.approved_at = now
    application.content_sha256 = commitment_sha256(application)
    application.save(update_fields=["status", "approved_at", "content_sha256"])
    ledger.commitment_approved(application)
    replaced = application.revises
    if replaced is not None:
        replaced = _locked(replaced)
        _step(
            actor,
            replaced,
            Step.SUPERSEDE,
            Status.APPROVED,
            _("Replaced by version %(v)s") % {"v": application.version},
        )
        replaced.superseded_at = now
        replaced.save(update_fields=["superseded_at"])
    # A revision replaces a version in force: its certificate comes at once even where the
    # programme issues in batches, so the product is never left without a valid one.
    if application.programme.issue_on_approval or replaced is not None:
        do_issue_certificate(application)
    directory.refresh_enterprise(application.organisation_id)
    return application


def available_steps(actor: Actor, application: Application) -> frozenset[str]:
    """The steps the actor may take on the application as it stands, so pages offer only
    those; the do_* functions above decide again, under the row lock, when one is taken."""
    steps = set()
    status = application.status
    if actor.can_manage(application.organisation_id):
        if application.is_editable:
            steps |= {"edit", "submit"}
        if status in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED):
            steps.add("withdraw")
        if (
            application.is_current
            and not application.revisions.filter(status__in=Application.OPEN).exists()
        ):
            steps.add("revise")
    if actor.is_association and actor.user is not None:
        if status == Status.SUBMITTED:
            steps.add("start_review")
        if status in (Status.IN_REVIEW, Status.SECOND_REVIEW):
            steps |= {"return", "reject"}
        if status == Status.IN_REVIEW or (
            status == Status.SECOND_REVIEW and application.first_approval_by_id != actor.user.pk
        ):
            steps.add("approve")
    return frozenset(steps)

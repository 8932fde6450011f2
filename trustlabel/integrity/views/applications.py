"""Portal pages of applications: the enterprise writes and submits its own, the
association reads them all (and reviews them, in views/reviews.py). Supporting documents
and standard texts are served here, to the enterprise itself and the association only."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.accounts.access import require_enterprise, scoped
from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import filter_by_enterprise, page_of, portal_page, posted
from trustlabel.ledger import records as ledger

from ..actions import applications as flow
from ..forms.applications import (
    ApplicationFilterForm,
    CommentForm,
    CommitmentForm,
    DocumentForm,
    IndicatorFormSet,
    ProductsForm,
    ReviewForm,
    ServicePromiseFormSet,
    StandardForm,
    indicator_rows,
    service_promises,
)
from ..models import (
    Application,
    Certificate,
    CommitmentItem,
    CoveredProduct,
    DeclaredStandard,
    Programme,
    SupportingDocument,
)


def visible_applications(actor):
    return scoped(
        actor,
        Application.objects.select_related(
            "programme", "organisation", "first_approval_by", "revises"
        ),
    )


def _application(request, pk: int) -> Application:
    return get_object_or_404(visible_applications(request.actor), pk=pk)


def _held(request, pk: int) -> Application:
    """The application, for its own enterprise's people: the association reads but never
    writes an enterprise's application."""
    application = _application(request, pk)
    if not request.actor.can_manage(application.organisation_id):
        raise PermissionDenied
    return application


def _no_longer_editable(request, application):
    messages.error(
        request,
        _("This application is %(status)s: it can no longer be changed.")
        % {"status": application.get_status_display().lower()},
    )
    return redirect("programmes:application", pk=application.pk)


# --- reading ------------------------------------------------------------------------------


@portal_page
def applications(request):
    filters = ApplicationFilterForm(request.GET)
    rows = filters.narrow(visible_applications(request.actor))
    rows, enterprise_form = filter_by_enterprise(request, rows)
    page, query = page_of(request, rows)
    return render(
        request,
        "integrity/applications/list.html",
        {"page": page, "query": query, "filters": filters, "enterprise_form": enterprise_form},
    )


def _versions(application: Application) -> list[Application]:
    """Every application of the enterprise to the programme, oldest version first: the
    versions in force and replaced, and revisions withdrawn or rejected."""
    return list(
        Application.objects.filter(
            organisation_id=application.organisation_id, programme_id=application.programme_id
        ).order_by("version", "created_at", "pk")
    )


def render_detail(request, application: Application, **forms):
    """The application page: its whole content, where it stands, its audit trail and
    the steps this actor may take; `forms` are bound forms to show with their errors."""
    actor = request.actor
    answers = {s.item: s.how for s in application.statements.all()}
    covered = application.covered_products.select_related("product").prefetch_related(
        Prefetch("standards", DeclaredStandard.objects.prefetch_related("indicators"))
    )
    steps = flow.available_steps(actor, application)
    certificate = getattr(application, "certificate", None)
    refusals = [
        error
        for form in forms.values()
        for error in [*form.non_field_errors(), *form.errors.get("action", [])]
    ]
    context = {
        "application": application,
        "statements": [(item.label, answers.get(item.value, "")) for item in CommitmentItem],
        "promises": application.service_promises.all(),
        "covered": covered,
        "documents": application.documents.all(),
        "trail": list(application.steps.select_related("user", "organisation")),
        "missing": flow.missing_parts(application) if application.is_editable else [],
        "versions": _versions(application),
        "certificate": certificate,
        "certificate_state": Certificate.State(certificate.state()).label if certificate else "",
        "refusals": refusals,
        "steps": steps,
        "own": actor.can_manage(application.organisation_id),
        "first_approver": application.status == Application.Status.SECOND_REVIEW
        and application.first_approval_by_id == request.user.pk,
        "ledger_entry": ledger.entry_of(application, "commitment")
        if application.status == Application.Status.APPROVED
        else None,
        "submit_form": forms.get("submit_form") or CommentForm(prefix="submit"),
        "withdraw_form": forms.get("withdraw_form") or CommentForm(prefix="withdraw"),
        "revise_form": forms.get("revise_form") or CommentForm(prefix="revise"),
        "review_form": forms.get("review_form") or ReviewForm(prefix="review"),
    }
    return render(request, "integrity/applications/detail.html", context)


@portal_page
def application(request, pk: int):
    return render_detail(request, _application(request, pk))


@portal_page
def document_file(request, pk: int, document: int):
    application = _application(request, pk)
    document = get_object_or_404(SupportingDocument, pk=document, application=application)
    return _file(document.file, document.title)


@portal_page
def standard_text(request, pk: int, standard: int):
    application = _application(request, pk)
    standard = get_object_or_404(
        DeclaredStandard, pk=standard, covered__application=application, text__gt=""
    )
    return _file(standard.text, standard.number)


def _file(field, title: str):
    extension = field.name.rsplit(".", 1)[-1].lower()
    name = "".join(c if c.isalnum() or c in "-_ " else "_" for c in title).strip() or "file"
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=f"{name}.{extension}")


# --- the enterprise's steps ---------------------------------------------------------------


@portal_page
def application_create(request, programme: int):
    actor = require_enterprise(request.actor)
    programme = get_object_or_404(Programme, pk=programme)
    form = ProductsForm(posted(request)[0], organisation=actor.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            application = flow.do_start_application(actor, programme, form.cleaned_data["products"])
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("Your application is started as a draft."))
            return redirect("programmes:commitment", pk=application.pk)
    return render(
        request,
        "integrity/applications/new.html",
        {
            "form": form,
            "programme": programme,
            "has_products": form["products"].field.queryset.exists(),
        },
    )


def take_step(request, pk: int, form, do, done):
    """A POST that moves the application on: `do(actor, application, comment)` returns the
    application to show next and `done(it)` what to tell; a refusal is shown on the
    application's page, beside `form`."""
    application = _application(request, pk)
    if form.is_valid():
        try:
            shown = do(request.actor, application, form.cleaned_data["comment"])
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, done(shown))
            return redirect("programmes:application", pk=shown.pk)
    application.refresh_from_db()
    return render_detail(request, application, **{f"{form.prefix}_form": form})


@require_POST
@portal_page
def submit(request, pk: int):
    return take_step(
        request,
        pk,
        CommentForm(request.POST, prefix="submit"),
        flow.do_submit,
        lambda _application: _("Your application is submitted to the association."),
    )


@require_POST
@portal_page
def withdraw(request, pk: int):
    return take_step(
        request,
        pk,
        CommentForm(request.POST, prefix="withdraw"),
        flow.do_withdraw,
        lambda _application: _("The application is withdrawn."),
    )


@require_POST
@portal_page
def revise(request, pk: int):
    def start(actor, application, comment):
        return flow.do_start_revision(actor, application)

    return take_step(
        request,
        pk,
        CommentForm(request.POST, prefix="revise"),
        start,
        lambda revision: (
            _("Version %(v)s is a draft; the approved version stays in force until it is approved.")
            % {"v": revision.version}
        ),
    )


@portal_page
def commitment(request, pk: int):
    application = _held(request, pk)
    if not application.is_editable:
        return _no_longer_editable(request, application)
    data = posted(request)[0]
    initial = {s.item: s.how for s in application.statements.all()}
    form = CommitmentForm(data, initial={**initial, "service_note": application.service_note})
    promises = ServicePromiseFormSet(
        data,
        prefix="promises",
        initial=[{"topic": p.topic, "text": p.text} for p in application.service_promises.all()],
    )
    if request.method == "POST" and form.is_valid() and promises.is_valid():
        try:
            flow.do_save_commitment(
                request.actor,
                application,
                form.statements(),
                service_promises(promises),
                form.cleaned_data["service_note"],
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("Your commitment is saved."))
            return redirect("programmes:application", pk=application.pk)
    return render(
        request,
        "integrity/applications/commitment.html",
        {"application": application, "form": form, "promises": promises},
    )


@portal_page
def products(request, pk: int):
    application = _held(request, pk)
    if not application.is_editable:
        return _no_longer_editable(request, application)
    chosen = [c.product_id for c in application.covered_products.all()]
    form = ProductsForm(
        posted(request)[0], organisation=application.organisation, initial={"products": chosen}
    )
    if request.method == "POST" and form.is_valid():
        try:
            flow.do_set_products(request.actor, application, form.cleaned_data["products"])
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The products are saved."))
            return redirect("programmes:application", pk=application.pk)
    return render(
        request, "integrity/applications/products.html", {"application": application, "form": form}
    )


@portal_page
def standard(request, pk: int, covered: int, standard: int | None = None):
    application = _held(request, pk)
    if not application.is_editable:
        return _no_longer_editable(request, application)
    covered = get_object_or_404(
        CoveredProduct.objects.select_related("product"), pk=covered, application=application
    )
    declared = get_object_or_404(covered.standards, pk=standard) if standard else None
    data, files = posted(request)
    initial, rows = {}, []
    if declared is not None:
        initial = {f: getattr(declared, f) for f in ("kind", "number", "name", "status")}
        rows = list(declared.indicators.values("name", "value", "unit", "test_method"))
    form = StandardForm(data, files, initial=initial)
    indicators = IndicatorFormSet(data, prefix="indicators", initial=rows)
    if request.method == "POST" and form.is_valid() and indicators.is_valid():
        fields = form.cleaned_data
        try:
            flow.do_declare_standard(
                request.actor,
                covered,
                fields["kind"],
                fields["number"],
                fields["name"],
                fields["status"],
                text=fields["text"] or None,
                indicators=indicator_rows(indicators),
                standard=declared,
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The standard is declared."))
            return redirect("programmes:application", pk=application.pk)
    return render(
        request,
        "integrity/applications/standard.html",
        {
            "application": application,
            "covered": covered,
            "standard": declared,
            "form": form,
            "indicators": indicators,
        },
    )


@require_POST
@portal_page
def standard_remove(request, pk: int, covered: int, standard: int):
    application = _held(request, pk)
    declared = get_object_or_404(
        DeclaredStandard, pk=standard, covered_id=covered, covered__application=application
    )
    try:
        flow.do_remove_standard(request.actor, declared)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request, _("%(number)s is no longer declared.") % {"number": declared.number}
        )
    return redirect("programmes:application", pk=application.pk)


@portal_page
def documents(request, pk: int):
    application = _held(request, pk)
    if not application.is_editable:
        return _no_longer_editable(request, application)
    form = DocumentForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data
        try:
            flow.do_attach_document(
                request.actor, application, fields["kind"], fields["title"], fields["file"]
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The document is attached."))
            return redirect("programmes:documents", pk=application.pk)
    return render(
        request,
        "integrity/applications/documents.html",
        {
            "application": application,
            "form": form,
            "documents": application.documents.all(),
            "required": [
                SupportingDocument.Kind(kind).label
                for kind in application.programme.required_documents
            ],
        },
    )


@require_POST
@portal_page
def document_remove(request, pk: int, document: int):
    application = _held(request, pk)
    document = get_object_or_404(SupportingDocument, pk=document, application=application)
    try:
        flow.do_remove_document(request.actor, document)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("programmes:application", pk=application.pk)
    messages.success(request, _("%(title)s is removed.") % {"title": document.title})
    return redirect("programmes:documents", pk=application.pk)

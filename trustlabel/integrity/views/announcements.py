"""Announcements: the association writes and publishes them in the portal; anyone reads
the published ones, downloads their attachments and follows them by Atom feed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import association_page, page_of, posted
from trustlabel.ledger import records

from ..actions import announcements as actions
from ..forms.announcements import AnnouncementFilterForm, AnnouncementForm, AttachmentForm
from ..models import Announcement, Attachment
from ..uploads import extension_of

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


def listed_rows(approved: list[dict], language: str) -> list[dict]:
    """The frozen list in the reader's language (English names where there are any)."""
    english = language == "en"

    def pick(row, name):
        return (english and row.get(f"{name}_en")) or row.get(name, "")

    return [
        {
            "certificate": row["certificate"],
            "enterprise": pick(row, "enterprise"),
            "uscc": row["uscc"],
            "region": pick(row, "region"),
            "products": [
                {"name": pick(product, "name"), "gtin": product["gtin"]}
                for product in row["products"]
            ],
        }
        for row in approved
    ]


def _file_response(attachment: Attachment) -> FileResponse:
    extension = extension_of(attachment.file.name)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{get_valid_filename(attachment.title) or 'attachment'}.{extension}",
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )


# --- the association's pages in the portal -------------------------------------------------


@association_page
def announcements(request):
    rows = Announcement.objects.select_related("programme").order_by(
        F("published_at").desc(nulls_first=True), "-pk"
    )
    page, query = page_of(request, rows)
    return render(
        request, "integrity/announcements/portal_list.html", {"page": page, "query": query}
    )


@association_page
def announcement_new(request):
    form = AnnouncementForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            announcement = actions.do_save_announcement(request.actor, **form.cleaned_data)
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The draft is saved. Add attachments, or publish it."))
            return redirect("programmes:announcement-edit", pk=announcement.pk)
    return render(request, "integrity/announcements/edit.html", {"form": form})


def _edit_page(request, announcement, form=None, attachment_form=None):
    refusal = []
    if announcement.is_published:
        # A refused change to a published announcement: say why, offer no form.
        refusal = [e for f in (form, attachment_form) if f for e in f.non_field_errors()]
        form = attachment_form = None
    else:
        if form is None:
            form = AnnouncementForm(instance=announcement)
        if attachment_form is None:
            attachment_form = AttachmentForm()
    context = {
        "announcement": announcement,
        "attachments": announcement.attachments.all(),
        "form": form,
        "attachment_form": attachment_form,
        "refusal": refusal,
    }
    return render(request, "integrity/announcements/edit.html", context)


def _change(request, announcement, save, done: str, **form):
    """A change made on a draft's edit page with the one bound form in `form` (by its name
    on the page): `save(cleaned_data)` if it is valid, then back to the page; a refusal is
    shown beside the form."""
    (bound,) = form.values()
    if bound.is_valid():
        try:
            save(bound.cleaned_data)
        except ValidationError as e:
            add_action_errors(bound, e)
        else:
            messages.success(request, done)
            return redirect("programmes:announcement-edit", pk=announcement.pk)
    return _edit_page(request, announcement, **form)


@association_page
def announcement_edit(request, pk: int):
    announcement = get_object_or_404(Announcement, pk=pk)
    if request.method != "POST":
        return _edit_page(request, announcement)
    form = AnnouncementForm(request.POST, instance=Announcement.objects.get(pk=pk))

    def save(fields):
        actions.do_save_announcement(request.actor, announcement, **fields)

    return _change(request, announcement, save, _("The draft is saved."), form=form)


@require_POST
@association_page
def attachment_add(request, pk: int):
    announcement = get_object_or_404(Announcement, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)

    def attach(fields):
        actions.do_add_attachment(request.actor, announcement, fields["title"], fields["file"])

    return _change(request, announcement, attach, _("The file is attached."), attachment_form=form)


@require_POST
@association_page
def attachment_remove(request, pk: int):
    attachment = get_object_or_404(Attachment.objects.select_related("announcement"), pk=pk)
    try:
        actions.do_remove_attachment(request.actor, attachment)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The attachment is removed."))
    return redirect("programmes:announcement-edit", pk=attachment.announcement_id)


@association_page
def attachment_check(request, pk: int):
    """The association opens a draft's attachment to check it before publication."""
    return _file_response(get_object_or_404(Attachment, pk=pk))


@require_POST
@association_page
def announcement_delete(request, pk: int):
    announcement = get_object_or_404(Announcement, pk=pk)
    try:
        actions.do_delete_announcement(request.actor, announcement)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("programmes:announcement-edit", pk=pk)
    messages.success(request, _("The draft is deleted."))
    return redirect("programmes:announcements")


@association_page
def announcement_publish(request, pk: int):
    """GET: what would be published now, the approved list included; POST: publish."""
    announcement = get_object_or_404(Announcement.objects.select_related("programme"), pk=pk)
    problems = []
    if request.method == "POST":
        try:
            actions.do_publish(request.actor, announcement)
        except ValidationError as e:
            problems = e.messages
        else:
            messages.success(request, _("The announcement is published."))
            return redirect("programmes:announcement-edit", pk=pk)
    if announcement.is_published:
        return redirect("programmes:announcement-edit", pk=pk)
    approved = None
    if announcement.lists_approved and announcement.programme_id:
        approved = listed_rows(actions.approved_list(announcement.programme), get_language())
    context = {
        "announcement": announcement,
        "body": announcement.display_body(get_language()),
        "attachments": announcement.attachments.all(),
        "approved": approved,
        "problems": problems,
    }
    return render(request, "integrity/announcements/publish.html", context)


# --- public pages --------------------------------------------------------------------------


def published():
    return Announcement.objects.filter(published_at__isnull=False).select_related("programme")


@require_http_methods(["GET", "HEAD"])
def public_list(request):
    filters = AnnouncementFilterForm(request.GET)
    rows = published()
    programme = None
    if filters.is_valid() and filters.cleaned_data["programme"]:
        programme = filters.cleaned_data["programme"]
        rows = rows.filter(programme=programme)
    page, query = page_of(request, rows, per_page=20)
    language = get_language()
    for announcement in page:
        announcement.shown_title = announcement.display_title(language)
    context = {"page": page, "query": query, "filters": filters, "programme": programme}
    return render(request, "integrity/announcements/public_list.html", context)


@require_http_methods(["GET", "HEAD"])
def public_detail(request, pk: int):
    announcement = get_object_or_404(published(), pk=pk)
    language = get_language()
    context = {
        "announcement": announcement,
        "title": announcement.display_title(language),
        "body": announcement.display_body(language),
        "programme_name": announcement.programme.display_name(language)
        if announcement.programme_id
        else "",
        "approved": listed_rows(announcement.approved, language),
        "attachments": announcement.attachments.all(),
        "entry": records.entry_of(announcement, actions.LEDGER_KIND),
    }
    return render(request, "integrity/announcements/public_detail.html", context)


@require_http_methods(["GET", "HEAD"])
def public_attachment(request, pk: int):
    attachment = get_object_or_404(
        Attachment.objects.filter(announcement__published_at__isnull=False), pk=pk
    )
    return _file_response(attachment)

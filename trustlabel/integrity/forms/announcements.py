from django import forms
from django.utils.translation import gettext_lazy as _

from ..actions.announcements import ANNOUNCEMENT_FIELDS
from ..models import Announcement, Programme
from ..uploads import MAX_UPLOAD_BYTES
from .programmes import ProgrammeChoiceField


class AnnouncementForm(forms.ModelForm):
    programme = ProgrammeChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.all(),
        required=False,
        empty_label=_("None (a general announcement)"),
    )

    class Meta:
        model = Announcement
        fields = list(ANNOUNCEMENT_FIELDS)
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "body_en": forms.Textarea(attrs={"rows": 10}),
        }
        help_texts = {
            "body": _("Plain text; an empty line starts a new paragraph."),
        }


class AttachmentForm(forms.Form):
    """Only the fields; the action checks the file's type, size and content."""

    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        # Beside the announcement's own form on the edit page: ids of its own.
        kwargs.setdefault("auto_id", "id_attachment_%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, PNG, JPEG, XLSX or CSV, at most %(limit)s MB.") % {
            "limit": MAX_UPLOAD_BYTES // 1024 // 1024
        }


class AnnouncementFilterForm(forms.Form):
    programme = ProgrammeChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.filter(announcements__published_at__isnull=False).distinct(),
        required=False,
        empty_label=_("All programmes"),
    )

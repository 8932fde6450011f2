from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Certificate, Programme
from .programmes import ProgrammeFilterForm


class CertificateFilterForm(ProgrammeFilterForm):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any state")), *Certificate.State.choices],
        required=False,
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Published on the certificate's public check page."),
    )


class BatchForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.all(), empty_label=None
    )

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.forms import DateInput

from ..actions.applications import PROGRAMME_FIELDS
from ..models import Programme, SupportingDocument


class ProgrammeChoiceField(forms.ModelChoiceField):
    """Programmes by their name in the reader's language."""

    def label_from_instance(self, obj):
        return obj.display_name(get_language())


class ProgrammeFilterForm(forms.Form):
    """A list's filter by programme; the lists add their own fields and narrow by them."""

    programme = ProgrammeChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.all(),
        required=False,
        empty_label=_("All programmes"),
    )

    def narrow(self, rows):
        """The rows of the chosen programme; all of them while the filter is not valid."""
        if self.is_valid() and self.cleaned_data["programme"]:
            rows = rows.filter(programme=self.cleaned_data["programme"])
        return rows


class ProgrammeForm(forms.ModelForm):
    required_documents = forms.MultipleChoiceField(
        label=_("Required supporting documents"),
        choices=SupportingDocument.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every application must include a document of each kind ticked"),
    )

    class Meta:
        model = Programme
        fields = list(PROGRAMME_FIELDS)
        widgets = {
            "opens_on": DateInput(),
            "closes_on": DateInput(),
            "valid_until": DateInput(),
            "mark": forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg"}),
            "requirements": forms.Textarea(attrs={"rows": 5}),
        }

    def action_fields(self) -> dict:
        """The cleaned fields as do_save_programme takes them; a cleared mark is empty."""
        fields = {name: self.cleaned_data[name] for name in PROGRAMME_FIELDS}
        if fields["mark"] is False:
            fields["mark"] = ""
        return fields

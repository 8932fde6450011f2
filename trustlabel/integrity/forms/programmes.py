from django import forms
from django.utils.translation import gettext_lazy as _

from ..actions.applications import PROGRAMME_FIELDS
from ..models import Programme, SupportingDocument

# A browser's date input takes ISO dates whatever the page's language.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


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
            "opens_on": DATE,
            "closes_on": DATE,
            "valid_until": DATE,
            "mark": forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg"}),
            "requirements": forms.Textarea(attrs={"rows": 5}),
        }

    def action_fields(self) -> dict:
        """The cleaned fields as do_save_programme takes them; a cleared mark is empty."""
        fields = {name: self.cleaned_data[name] for name in PROGRAMME_FIELDS}
        if fields["mark"] is False:
            fields["mark"] = ""
        return fields

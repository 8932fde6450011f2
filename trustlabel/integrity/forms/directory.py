"""The public directory's search form."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trustlabel.regions import divisions, places

from ..directory import Criteria
from ..models import Industry, Programme
from .programmes import ProgrammeChoiceField


class DirectoryForm(forms.Form):
    q = forms.CharField(
        label=_("Name, credit code or GTIN"),
        required=False,
        max_length=100,
        help_text=_("Part of the name (e.g. 格力), of the unified social credit code or the GTIN"),
    )
    programme = ProgrammeChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("-year", "code"),
        required=False,
        empty_label=_("All programmes"),
    )
    year = forms.TypedChoiceField(
        label=_("Year"), coerce=int, empty_value=None, required=False, choices=()
    )
    province = forms.ChoiceField(label=_("Province"), required=False, choices=())
    region = forms.CharField(
        label=_("Or a region code"),
        required=False,
        max_length=6,
        help_text=_("A 6-digit division code of a province, city or county, e.g. 440402"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 7}),
    )
    industry = forms.ChoiceField(
        label=_("Industry"), choices=[("", _("All industries")), *Industry.choices], required=False
    )
    valid = forms.BooleanField(label=_("Valid certificates only"), required=False)

    def __init__(self, *args, products: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if products:
            # A product's certificates are shown with it; the filter is the enterprises'.
            del self.fields["valid"]
        years = Programme.objects.order_by("-year").values_list("year", flat=True).distinct()
        self.fields["year"].choices = [("", _("All years")), *((y, y) for y in years)]
        language = get_language()
        self.fields["province"].choices = [
            ("", _("All provinces")),
            *((e.code, places.place_name(e.code, language)) for e in divisions.children(None)),
        ]

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        if code and divisions.get(code) is None:
            raise forms.ValidationError(
                _("No province, city or county has the code %(code)s."), params={"code": code}
            )
        return code

    def criteria(self) -> Criteria:
        """What to search for; call after is_valid()."""
        data = self.cleaned_data
        return Criteria(
            q=data["q"].strip(),
            programme=data["programme"],
            year=data["year"],
            region=data["region"] or data["province"],
            industry=data["industry"],
            valid_only=data.get("valid", False),
        )

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Lot
from trustlabel.regions import divisions

from .actions import Step
from .models import DiversionAlert, PublicTrace
from .scanned import read_scanned


class CommissionForm(forms.Form):
    """Which labels of an order go onto products now: places 1 to the order's quantity."""

    first = forms.IntegerField(label=_("From label"), min_value=1, initial=1)
    last = forms.IntegerField(label=_("to label"), min_value=1)


class ScanForm(forms.Form):
    """The logistics page: what is recorded, to whom, and the labels scanned (one a line)."""

    PACK = "pack"

    step = forms.ChoiceField(
        label=_("Record"),
        widget=forms.RadioSelect,
        initial=Step.RECEIVE,
    )
    destination = forms.ModelChoiceField(
        label=_("Ship to"), queryset=Organisation.objects.none(), required=False
    )
    parent = forms.CharField(label=_("Case or pallet to pack into"), required=False, max_length=400)
    codes = forms.CharField(
        label=_("Labels"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Scan with the camera or a scanner, or type: one label a line."),
        max_length=100_000,
    )

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        choices = list(Step.CHOICES)
        if actor.is_enterprise or actor.is_distributor:
            choices.append((self.PACK, _("Pack into a case or pallet")))
        self.fields["step"].choices = choices
        self.fields["destination"].queryset = Organisation.objects.filter(
            kind__in=[Organisation.Kind.DISTRIBUTOR, Organisation.Kind.ENTERPRISE]
        ).exclude(pk=actor.organisation.pk)

    def clean_codes(self) -> list[str]:
        """Every line read as a label; all the unreadable lines named at once."""
        lines = [line for line in self.cleaned_data["codes"].splitlines() if line.strip()]
        if len(lines) > 5000:
            raise ValidationError(_("At most 5,000 labels at a time."), code="too_many")
        keys, errors = [], []
        for number, line in enumerate(lines, 1):
            try:
                keys.append(read_scanned(line))
            except ValidationError as e:
                errors.append(
                    _("Line %(number)d: %(error)s") % {"number": number, "error": e.messages[0]}
                )
        if errors:
            raise ValidationError(errors)
        if not keys:
            raise ValidationError(_("Scan at least one label."), code="empty")
        return keys

    def clean_parent(self) -> str:
        text = self.cleaned_data["parent"]
        return read_scanned(text) if text.strip() else ""

    def clean(self):
        data = super().clean()
        if data.get("step") == Step.SHIP and not data.get("destination"):
            self.add_error("destination", _("Choose the distributor to ship to."))
        if data.get("step") == self.PACK and not data.get("parent"):
            self.add_error("parent", _("Scan the case or pallet label first."))
        return data


class AlertDecisionForm(forms.Form):
    state = forms.ChoiceField(label=_("Decision"), choices=DiversionAlert.State.choices)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All")), *DiversionAlert.State.choices],
        required=False,
    )


class RecallForm(forms.Form):
    lots = forms.ModelMultipleChoiceField(
        label=_("Lots"), queryset=Lot.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    hazard = forms.CharField(label=_("Hazard"), widget=forms.Textarea(attrs={"rows": 2}))
    instructions = forms.CharField(
        label=_("What the consumer should do"), widget=forms.Textarea(attrs={"rows": 3})
    )
    contact = forms.CharField(label=_("Contact"), max_length=200)

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].queryset = (
            Lot.objects.filter(product__organisation=actor.organisation)
            .select_related("product")
            .order_by("product__name", "-production_date")
        )
        self.fields["lots"].label_from_instance = lambda lot: (
            f"{lot.product.name} · {lot.lot_number} · {lot.production_date:%Y-%m-%d}"
        )


class PublicTraceForm(forms.ModelForm):
    class Meta:
        model = PublicTrace
        fields = ["production", "inspection", "shipping"]


class InspectForm(forms.Form):
    """An inspector's check: the code, and where it is (stated, or the device's)."""

    code = forms.CharField(label=_("Code"), max_length=300)
    region = forms.CharField(
        label=_("Where (division code)"),
        max_length=6,
        required=False,
        help_text=_("The county, city or province where the product is, e.g. 440106."),
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_region(self) -> str:
        code = self.cleaned_data["region"].strip()
        if code and divisions.get(code) is None:
            raise ValidationError(
                _("%(code)s is not a division code (GB/T 2260, six digits).") % {"code": code},
                code="region",
            )
        return code

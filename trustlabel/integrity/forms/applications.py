from django import forms
from django.utils.translation import gettext_lazy as _

from trustlabel.catalog.models import Product

from ..models import (
    Application,
    CommitmentItem,
    CommitmentStatement,
    DeclaredStandard,
    Indicator,
    ServicePromise,
    SupportingDocument,
)
from .programmes import ProgrammeFilterForm


class ApplicationFilterForm(ProgrammeFilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Application.Status.choices],
        required=False,
    )

    def narrow(self, rows):
        rows = super().narrow(rows)
        if self.is_valid() and self.cleaned_data["status"]:
            rows = rows.filter(status=self.cleaned_data["status"])
        return rows


class ProductChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.gtin})"


class ProductsForm(forms.Form):
    """Which of the enterprise's own products an application is for."""

    products = ProductChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one product.")},
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(
            organisation=organisation
        ).order_by("name", "pk")


HOW_LIMIT = CommitmentStatement._meta.get_field("how").max_length


class CommitmentForm(forms.Form):
    """One answer per standard commitment item, in the association's order; items left
    empty are listed as missing when the enterprise submits."""

    service_note = forms.CharField(
        label=_("Further service commitments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything you promise beyond the service items above"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in CommitmentItem:
            self.fields[item.value] = forms.CharField(
                label=item.label,
                required=False,
                max_length=HOW_LIMIT,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("How your enterprise keeps this commitment"),
            )
        self.order_fields([*CommitmentItem.values, "service_note"])

    def statements(self) -> dict[str, str]:
        return {item: self.cleaned_data[item] for item in CommitmentItem.values}

    def item_fields(self):
        return [self[item] for item in CommitmentItem.values]


class ServicePromiseForm(forms.Form):
    topic = forms.ChoiceField(
        label=_("Topic"),
        choices=[("", "—"), *ServicePromise.Topic.choices],
        required=False,
    )
    text = forms.CharField(
        label=_("What you promise"),
        max_length=ServicePromise._meta.get_field("text").max_length,
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("text", "").strip() and not data.get("topic"):
            self.add_error("topic", _("Choose the topic of this commitment."))
        return data


ServicePromiseFormSet = forms.formset_factory(ServicePromiseForm, extra=2, max_num=20)


def service_promises(formset) -> list[tuple[str, str]]:
    """The filled rows of a valid formset, in order; empty rows are dropped."""
    return [
        (form.cleaned_data["topic"], form.cleaned_data["text"])
        for form in formset
        if form.cleaned_data.get("text", "").strip()
    ]


class StandardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DeclaredStandard.Kind.choices)
    number = forms.CharField(
        label=_("Standard number"),
        max_length=60,
        help_text=_("As published, e.g. GB/T 7725-2022, T/CAS 115-2020, Q/GREE 001-2024"),
    )
    name = forms.CharField(label=_("Standard name"), max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=DeclaredStandard.Status.choices,
        initial=DeclaredStandard.Status.IN_FORCE,
    )
    text = forms.FileField(
        label=_("Text of the standard (PDF)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf"}),
        help_text=_(
            "Optional for a published standard; an enterprise standard needs its "
            "text or its indicator table"
        ),
    )


def _limited(field: str, **kwargs):
    return forms.CharField(
        label=Indicator._meta.get_field(field).verbose_name,
        max_length=Indicator._meta.get_field(field).max_length,
        required=False,
        **kwargs,
    )


class IndicatorForm(forms.Form):
    name = _limited("name")
    value = _limited("value")
    unit = _limited("unit")
    test_method = _limited("test_method")


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=3, max_num=60)


def indicator_rows(formset) -> list[dict]:
    return [form.cleaned_data for form in formset if form.cleaned_data]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SupportingDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File (PDF, PNG or JPEG)"),
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewForm(CommentForm):
    ACTIONS = ("start", "return", "approve", "reject")
    action = forms.ChoiceField(
        choices=[(a, a) for a in ACTIONS],
        error_messages={
            "required": _("Choose one of the review steps offered."),
            "invalid_choice": _("Choose one of the review steps offered."),
        },
    )

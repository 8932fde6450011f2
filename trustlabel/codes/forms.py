from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trustlabel.catalog.models import Lot, Product
from trustlabel.integrity.labels import approved_programmes, remaining_quota
from trustlabel.integrity.models import Programme

from .models import Export, LabelOrder


class LabelOrderForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none())
    lot = forms.ModelChoiceField(
        label=_("Production lot"),
        queryset=Lot.objects.none(),
        help_text=_("The lot must be one of the chosen product's lots."),
    )
    # The upper limit is the action's to check: it is a setting, and says so in its message.
    quantity = forms.IntegerField(label=_("Number of labels"), min_value=1)
    layout = forms.ChoiceField(
        label=_("Label layout"), choices=LabelOrder.Layout.choices, widget=forms.RadioSelect
    )
    activation = forms.ChoiceField(
        label=_("Labels become active"),
        choices=LabelOrder.Activation.choices,
        initial=LabelOrder.Activation.COMMISSIONING,
        widget=forms.RadioSelect,
        help_text=_(
            'Until commissioned, a label answers "not activated": labels stolen before '
            "they are put on products show up."
        ),
    )

    programme = forms.ModelChoiceField(
        label=_("Label programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("None: labels without a programme's mark"),
        help_text=_(
            "The labels carry the programme's mark and count against its quota; the "
            "product must be approved in the programme."
        ),
    )

    def __init__(self, organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(organisation=organisation)
        self.fields["lot"].queryset = Lot.objects.filter(
            product__organisation=organisation
        ).select_related("product")
        self.fields["lot"].label_from_instance = lambda lot: (
            f"{lot.product.name} / {lot.lot_number} ({lot.production_date:%Y-%m-%d})"
        )
        # The programmes the enterprise is approved in now; when the page is opened from
        # a product, those of that product. The order itself checks the product chosen,
        # and says plainly when it is not approved in the programme.
        product = None if self.is_bound else _product_id(self.initial.get("product"))
        programmes = approved_programmes(organisation.pk, product)
        field = self.fields["programme"]
        field.queryset = programmes
        field.label_from_instance = lambda programme: _with_quota(programme, organisation.pk)
        if not self["programme"].value() and not programmes.exists():
            del self.fields["programme"]


def _product_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _with_quota(programme: Programme, organisation_id: int) -> str:
    name = programme.display_name(get_language())
    remaining = remaining_quota(programme, organisation_id)
    if remaining is None:
        return name
    return _("%(programme)s (%(remaining)s labels left)") % {
        "programme": name,
        "remaining": remaining,
    }


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("File format"),
        choices=Export.Format.choices,
        initial=Export.Format.CSV,
        widget=forms.RadioSelect,
    )

from django import forms
from django.utils.translation import gettext_lazy as _

from trustlabel.catalog.models import Lot, Product

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

    def __init__(self, organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(organisation=organisation)
        self.fields["lot"].queryset = Lot.objects.filter(
            product__organisation=organisation
        ).select_related("product")
        self.fields["lot"].label_from_instance = lambda lot: (
            f"{lot.product.name} / {lot.lot_number} ({lot.production_date:%Y-%m-%d})"
        )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("File format"),
        choices=Export.Format.choices,
        initial=Export.Format.CSV,
        widget=forms.RadioSelect,
    )

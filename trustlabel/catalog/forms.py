from django import forms
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.forms import DateInput

from .gtin import normalise_gtin
from .models import InspectionReport, Product


class ProductEditForm(forms.Form):
    name = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    specification = forms.CharField(label=_("Specification"), max_length=200, required=False)
    standard_number = forms.CharField(
        label=_("Standard number"),
        max_length=60,
        required=False,
        help_text=_("The standard the product is made to, e.g. GB/T 7725-2022."),
    )
    standard_name = forms.CharField(label=_("Standard name"), max_length=200, required=False)

    @classmethod
    def for_product(cls, product: Product, data=None) -> "ProductEditForm":
        initial = {name: getattr(product, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class ProductForm(ProductEditForm):
    gtin = forms.CharField(
        label=_("GTIN"),
        max_length=20,
        help_text=_("The barcode number: 8, 12, 13 or 14 digits."),
    )
    image = forms.ImageField(label=_("Image"), required=False)

    field_order = ["gtin", "name", "name_en", "specification", "image"]

    def clean_gtin(self) -> str:
        return normalise_gtin(self.cleaned_data["gtin"])


class LotForm(forms.Form):
    lot_number = forms.CharField(label=_("Lot number"), max_length=20)
    production_date = forms.DateField(label=_("Production date"), widget=DateInput())
    expiry_date = forms.DateField(label=_("Expiry date"), required=False, widget=DateInput())
    quantity = forms.IntegerField(label=_("Quantity made"), min_value=1, max_value=2**31 - 1)
    factory = forms.CharField(label=_("Factory"), max_length=200)


class ReportForm(forms.Form):
    report_number = forms.CharField(label=_("Report number"), max_length=60)
    result = forms.ChoiceField(label=_("Result"), choices=InspectionReport.Result.choices)
    inspector_name = forms.CharField(label=_("Inspecting organisation"), max_length=200)
    inspected_on = forms.DateField(label=_("Inspection date"), widget=DateInput())
    file = forms.FileField(
        label=_("Report (PDF)"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf"})
    )

from django import forms
from django.utils.translation import gettext_lazy as _


class CommissionForm(forms.Form):
    """Which labels of an order go onto products now: places 1 to the order's quantity."""

    first = forms.IntegerField(label=_("From label"), min_value=1, initial=1)
    last = forms.IntegerField(label=_("to label"), min_value=1)

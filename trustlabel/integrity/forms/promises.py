"""The consumer's "this product does not keep its promise" form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..actions.promises import MAX_CONTACT, MAX_TEXT


class PromiseReportForm(forms.Form):
    """Parses only: what a report must hold, and the messages, are the action's."""

    token = forms.CharField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(
        label=_("What is wrong"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT}),
        help_text=_("Which promise the product does not keep, and how."),
    )
    contact = forms.CharField(
        label=_("How to reach you (optional)"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": MAX_CONTACT, "autocomplete": "tel"}),
        help_text=_("A phone number or email address. Only the association sees it."),
    )

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the key is used, e.g. the ERP system of the Zhuhai plant."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=User.Role.choices,
        initial=User.Role.STAFF,
        help_text=_("Only an administrator's key can request and download print files."),
    )


class EnterpriseFilterForm(forms.Form):
    """The association's choice of which enterprise's data to look at."""

    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE),
        required=False,
        empty_label=_("All enterprises"),
    )


def add_action_errors(form: forms.Form, error: ValidationError) -> None:
    """Show an action's ValidationError on the form: beside the field it names, if the
    form has that field, otherwise at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


class DateInput(forms.DateInput):
    """The browser's date picker. It takes only ISO dates, whatever the page's language:
    in the zh-Hans format (2026/03/15) a date already set would show as an empty field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

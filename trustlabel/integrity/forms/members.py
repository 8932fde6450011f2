from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.forms import DateInput
from trustlabel.regions import places
from trustlabel.regions.models import Division

from .. import uscc
from ..actions import EDITABLE
from ..models import Industry, Member


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {places.place_name(obj.code, get_language())}"


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name or credit code"),
        required=False,
        max_length=100,
        help_text=_("Part of the name (e.g. 格力) or of the unified social credit code"),
    )
    province = DivisionChoiceField(
        label=_("Province"),
        queryset=Division.objects.filter(level=Division.Level.PROVINCE),
        required=False,
        empty_label=_("All provinces"),
    )
    industry = forms.ChoiceField(
        label=_("Industry"), choices=[("", _("All industries")), *Industry.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Membership status"),
        choices=[("", _("Any status")), *Member.Status.choices],
        required=False,
    )


class MemberForm(forms.ModelForm):
    region = DivisionChoiceField(label=_("Region"), queryset=Division.objects.all(), required=False)

    class Meta:
        model = Member
        fields = list(EDITABLE)
        widgets = {
            "joined_on": DateInput(),
            "expires_on": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Typed codes may hold spaces; the model's validator then says what is wrong.
        code = self.fields["uscc"]
        code.max_length, code.validators = None, []
        code.widget.attrs.pop("maxlength", None)

    def clean_uscc(self):
        return uscc.compact(self.cleaned_data["uscc"])

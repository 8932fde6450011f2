from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.forms import DateInput

from ..actions.benchmarks import NOTE_LENGTH, participants
from ..models import BenchmarkNote, Programme


class ProgrammeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.year} · {obj.display_name(get_language())}"


class ProgrammeForm(forms.Form):
    """Which programme's benchmarks to look at."""

    programme = ProgrammeChoiceField(
        label=_("Programme"), queryset=Programme.objects.all(), empty_label=None
    )


class BenchmarkForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=None,
        help_text=_("Enterprises with an approved application that are not benchmarks yet"),
    )
    reason = forms.CharField(
        label=_("Why it is named"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, programme: Programme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            participants(programme).exclude(benchmarks__programme=programme).order_by("name")
        )


class BenchmarkNoteForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=BenchmarkNote.Kind.choices,
        initial=BenchmarkNote.Kind.VISIT,
        widget=forms.RadioSelect,
    )
    on = forms.DateField(
        label=_("Day"),
        initial=timezone.localdate,
        widget=DateInput(),
    )
    text = forms.CharField(
        label=_("What happened"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

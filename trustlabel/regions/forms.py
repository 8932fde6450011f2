from django import forms
from django.utils.translation import gettext_lazy as _

from . import divisions

# A select is named by what it offers: under a municipality, the second one lists
# districts and counties.
LEVEL_LABELS = {1: _("Province"), 2: _("City"), 3: _("District or county")}


def _label(entry: divisions.Entry, language: str) -> str:
    return entry.name_en if language.startswith("en") else entry.name


class DivisionPicker(forms.Form):
    """Province -> city -> county as plain selects that work without JavaScript: each
    submission (GET) adds the next select, with the children of what was chosen. A
    choice that no longer fits (a city left over from another province) is dropped
    rather than reported as an error."""

    def __init__(self, query, language: str):
        self.path = []
        parent = None
        for name in ("province", "city", "county"):
            options = divisions.children(parent)
            picked = divisions.get(query.get(name, ""))
            if picked is not None and picked.parent != parent:
                picked = None
            self.path.append((name, options, picked))
            if picked is None or not divisions.children(picked.code):
                break
            parent = picked.code
        super().__init__(initial={name: picked.code for name, _, picked in self.path if picked})
        for name, options, _picked in self.path:
            self.fields[name] = forms.ChoiceField(
                label=LEVEL_LABELS[options[0].level],
                required=False,
                choices=[("", "—"), *((e.code, _label(e, language)) for e in options)],
            )

    @property
    def chosen(self) -> divisions.Entry | None:
        """The most specific division picked so far."""
        picked = [entry for _, _, entry in self.path if entry is not None]
        return picked[-1] if picked else None


class RegionCodeForm(forms.Form):
    code = forms.CharField(max_length=6, min_length=6)

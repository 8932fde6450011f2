"""Forms of the integrity app, one module per part; and the date input they share."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. It takes only ISO dates, whatever the page's language:
    in the zh-Hans format (2026/03/15) a date already set would show as an empty field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

"""Forms of the measurement pages (C1). They parse what the user typed; the
rules are in `reviews.measurements`, which the views call with the cleaned
data. That is why the fields are optional here: a missing value or period is
refused by the service, with the service's message, where the user typed it."""

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _

from .measurements import CSV_HELP, MAX_IMPORT_CHARACTERS

DATE_INPUT = {"type": "date"}


def _date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs=DATE_INPUT),
        error_messages={"invalid": _("Enter a date such as 2026-05-31.")},
    )


def _value_field(label, **attrs):
    # Text, not a number field: a decimal comma is fine, and the service says
    # what is wrong with anything else.
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10, **attrs}),
    )


class MeasurementForm(forms.Form):
    """One value of a KPI for a period, or the correction of a recorded one."""

    period_start = _date_field(_("Period start"))
    period_end = _date_field(_("Period end"))
    value = _value_field(_("Value"))
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("Where the value comes from, e.g. the ticket tool's monthly report."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "short"})
    )
    # When correcting: which value, and what it said when the form was opened.
    measurement = forms.IntegerField(required=False, widget=forms.HiddenInput)
    revision = forms.CharField(required=False, widget=forms.HiddenInput)


class PeriodForm(forms.Form):
    """The period whose values the bulk entry shows (a GET form)."""

    period_start = _date_field(_("From"))
    period_end = _date_field(_("To"))

    def period(self, default):
        """The chosen period, or `default` when none (or no valid one) is given."""
        if self.is_bound and self.is_valid():
            start, end = self.cleaned_data["period_start"], self.cleaned_data["period_end"]
            if start and end:
                return start, end
        return default


class BulkEntryForm(forms.Form):
    """One period, and a value field per KPI the user may record (`kpi-<id>`,
    the key the service names a KPI's problem with)."""

    period_start = forms.DateField(required=False, widget=forms.HiddenInput)
    period_end = forms.DateField(required=False, widget=forms.HiddenInput)
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("Recorded with every value of this entry."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, kpis, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpis = list(kpis)
        for kpi in self.kpis:
            self.fields[self.field_name(kpi)] = _value_field(
                kpi.metric, **{"aria-describedby": f"target-{kpi.pk}"}
            )

    @staticmethod
    def field_name(kpi):
        return f"kpi-{kpi.pk}"

    def values(self):
        """{kpi: what was typed} for the service (empty ones are skipped there)."""
        return {kpi: self.cleaned_data.get(self.field_name(kpi), "") for kpi in self.kpis}


def _decode(data):
    """The text of an uploaded file: UTF-8 (with or without BOM), or the
    Windows encoding spreadsheet programs often save CSV files in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class CsvUploadForm(forms.Form):
    """A CSV file, or its text pasted."""

    file = forms.FileField(label=_("CSV file"), required=False, help_text=CSV_HELP)
    text = forms.CharField(
        label=_("Or paste the CSV text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), data.get("text") or ""
        if upload is not None:
            if upload.size > MAX_IMPORT_CHARACTERS * 4:
                raise forms.ValidationError(_("The file is too large: import at most 1 MB at once."))
            data["content"] = _decode(upload.read())
        elif text.strip():
            data["content"] = text
        elif not self.errors:
            raise forms.ValidationError(_("Choose a CSV file, or paste its text."))
        return data


def carry(text):
    """The file's text for the hidden field of the confirmation step:
    base64, so that no browser rewrites its line breaks or spaces."""
    return base64.b64encode(text.encode()).decode("ascii")


class CsvConfirmForm(forms.Form):
    """The second step: the previewed text, carried in a hidden field (no
    temporary file on the server), imported as it was previewed."""

    content = forms.CharField(widget=forms.HiddenInput, strip=False)

    def clean_content(self):
        try:
            return base64.b64decode(self.cleaned_data["content"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise forms.ValidationError(_("The file did not come through: upload it again.")) from None

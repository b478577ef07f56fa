"""Forms of the Do pages. They only shape input; rules live in plans.do.services."""

from django import forms
from django.contrib.auth import get_user_model

from plans.models import Milestone

User = get_user_model()


def _people():
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class DateInput(forms.DateInput):
    """A native date picker; it needs ISO dates whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def short_text():
    return forms.Textarea(attrs={"class": "short", "rows": 3})


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "owner", "due_on", "done_on", "evidence"]
        widgets = {
            "due_on": DateInput(),
            "done_on": DateInput(),
            "evidence": short_text(),
        }
        labels = {"due_on": "Due date", "done_on": "Done on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()


class MilestoneDoneForm(forms.Form):
    evidence = forms.CharField(
        required=False,
        widget=short_text(),
        help_text="What shows that the milestone is reached (optional).",
    )


class KpiOperatorForm(forms.Form):
    operator = forms.ModelChoiceField(queryset=User.objects.none(), label="Operator", empty_label="Choose…")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = _people()


class HandoverForm(forms.Form):
    receivers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        label="Handed over to",
        help_text="The people who will operate the process. One of them accepts the handover.",
    )
    handover_on = forms.DateField(label="Handover date", widget=DateInput())
    documents = forms.CharField(
        required=False,
        label="Documents handed over",
        widget=short_text(),
        help_text="One per line.",
    )
    open_points = forms.CharField(required=False, label="Open points", widget=short_text())

    def __init__(self, *args, exclude_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = _people()
        if exclude_user is not None:
            people = people.exclude(pk=exclude_user.pk)
        self.fields["receivers"].queryset = people


class HandoverDecisionForm(forms.Form):
    reason = forms.CharField(required=False, label="Reason (required to decline)", widget=short_text())

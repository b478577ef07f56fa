"""Forms of the Do pages. They only shape input; rules live in plans.do.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import people
from accounts.pickers import PeopleField, PersonField
from plans.models import Milestone


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
        labels = {"due_on": _("Due date"), "done_on": _("Done on")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = PersonField(people.OPERATOR, label=self.fields["owner"].label)
        self.fields["owner"] = field


class MilestoneDoneForm(forms.Form):
    evidence = forms.CharField(
        required=False,
        widget=short_text(),
        help_text=_("What shows that the milestone is reached (optional)."),
    )


class KpiOperatorForm(forms.Form):
    operator = PersonField(
        people.OPERATOR,
        label=_("Operator"),
        empty_label=_("Choose…"),
        error_messages={"required": _("Choose the person who operates this KPI.")},
    )


class HandoverForm(forms.Form):
    receivers = PeopleField(
        people.OPERATOR,
        label=_("Handed over to"),
        help_text=_("The people who will operate the process. One of them accepts the handover."),
    )
    handover_on = forms.DateField(label=_("Handover date"), widget=DateInput())
    documents = forms.CharField(
        required=False,
        label=_("Documents handed over"),
        widget=short_text(),
        help_text=_("One per line."),
    )
    open_points = forms.CharField(required=False, label=_("Open points"), widget=short_text())

    def __init__(self, *args, exclude_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if exclude_user is not None:
            self.fields["receivers"].queryset = self.fields["receivers"].queryset.exclude(pk=exclude_user.pk)


class HandoverDecisionForm(forms.Form):
    reason = forms.CharField(required=False, label=_("Reason (required to decline)"), widget=short_text())

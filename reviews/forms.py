"""Forms of the review pages. They parse what the user typed; the rules are in
reviews/services.py, whose refusals the pages show on these forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import people
from accounts.pickers import PeopleField, PersonField
from pdca.widgets import ListCheckboxes, ListSelect, NameChoiceField, NamesChoiceField
from plans.models import Plan, Process

from .models import Finding, ReviewInput


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RevisionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, **kwargs)


class ReviewPlanForm(forms.Form):
    """C3: plan a review of one of the three kinds."""

    kind = forms.ChoiceField(label=_("Kind of review"), choices=[], widget=forms.RadioSelect)
    plan = forms.ModelChoiceField(
        label=_("Process plan"),
        queryset=Plan.objects.none(),
        required=False,
        help_text=_("For a process review: the plan whose version in force is reviewed."),
        empty_label=_("— choose the process plan —"),
        widget=ListSelect,  # every process plan: a thousand at scale
    )
    processes = NamesChoiceField(
        label=_("Processes audited"),
        queryset=Process.objects.order_by("name"),
        required=False,
        widget=ListCheckboxes,  # every process: a thousand at scale
        help_text=_("For an internal audit: the processes it covers."),
    )
    planned_on = forms.DateField(label=_("Planned for"), widget=DateInput())
    reviewer = PersonField(people.REVIEWER, label=_("Reviewer"), required=False)
    participants = PeopleField(
        people.RECIPIENT,
        label=_("Participants"),
        required=False,
        help_text=_("Who else takes part; the reviewer always does."),
    )
    period_start = forms.DateField(
        label=_("Period covered from"),
        widget=DateInput(),
        required=False,
        help_text=_("Leave empty for the interval before the planned date."),
    )
    period_end = forms.DateField(label=_("to"), widget=DateInput(), required=False)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for a title from kind and date."),
    )

    def __init__(self, *args, kinds, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["plan"].queryset = plans


class ReviewForm(forms.Form):
    """C4: the dates, period, participants, decisions and minutes of a review."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput(), required=False)
    period_start = forms.DateField(label=_("Period covered from"), widget=DateInput(), required=False)
    period_end = forms.DateField(label=_("to"), widget=DateInput(), required=False)
    participants = PeopleField(people.RECIPIENT, label=_("Participants"), required=False)
    decisions = forms.CharField(
        label=_("Decisions"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        strip=False,
        help_text=_("The decisions taken, in Markdown (a list reads best)."),
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        strip=False,
        help_text=_("What was discussed, in Markdown."),
    )
    revision = RevisionField()


class InputForm(forms.Form):
    """C3: one input of a management review."""

    status = forms.ChoiceField(choices=ReviewInput.Status.choices, widget=forms.RadioSelect)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "class": "short"}), required=False)


class AttainmentForm(forms.Form):
    measured = forms.CharField(label=_("Measured"), required=False, max_length=40)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "short"})
    )


class FindingForm(forms.Form):
    """C6: a graded finding with clause, process and objective evidence."""

    grade = forms.ChoiceField(label=_("Grade"), choices=Finding.Grade.choices, widget=forms.RadioSelect)
    clause = forms.CharField(
        label=_("Clause"),
        max_length=40,
        required=False,
        help_text=_("The ISO/IEC 20000-1 clause, e.g. 8.3.2."),
        widget=forms.TextInput(attrs={"list": "iso-clauses"}),
    )
    process = forms.ModelChoiceField(label=_("Process"), queryset=Process.objects.none(), required=False)
    description = forms.CharField(
        label=_("Finding"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    evidence = forms.CharField(
        label=_("Objective evidence"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("What was seen, sampled or read that shows it."),
    )

    def __init__(self, *args, processes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = processes


class ActionForm(forms.Form):
    description = forms.CharField(
        label=_("Action"), widget=forms.Textarea(attrs={"rows": 3, "class": "short"}), required=False
    )
    owner = PersonField(people.OPERATOR, label=_("Owner"), required=False)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput(), required=False)
    finding = forms.ModelChoiceField(
        label=_("Addresses finding"),
        queryset=Finding.objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("The finding of this review the action responds to, if any."),
    )

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["finding"].queryset = review.findings.order_by("number")
        self.fields["finding"].label_from_instance = lambda f: (
            f"{f.code} · {f.get_grade_display()}: {f.description[:60]}"
        )
        if not review.findings.exists():
            del self.fields["finding"]


class ActionDoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "short"})
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_(
            "A correction or completion of the approved review; it is added with your name and today's date."
        ),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "short"}))


class ScheduleForm(forms.Form):
    """C2: how often a plan is reviewed, when next, and by whom."""

    interval_months = forms.IntegerField(
        label=_("Reviewed every (months)"),
        help_text=_("At most 12: every plan is reviewed at least once a year."),
    )
    next_planned_on = forms.DateField(label=_("Next review planned for"), widget=DateInput(), required=False)
    reviewer = PersonField(people.OPERATOR, label=_("Reviewer"), required=False)


class CalendarFilter(forms.Form):
    month = forms.CharField(required=False)
    process = NameChoiceField(
        label=_("Process"),
        queryset=Process.objects.order_by("name"),
        required=False,
        empty_label=_("Any process"),
        widget=ListSelect,  # every process: a thousand options at scale
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[])

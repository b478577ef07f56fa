"""Forms of Act's pages. They parse what the user typed; the rules are in
improvements/services.py, whose refusals the pages show on these forms (so
most fields are optional here and the service says what is missing)."""

from decimal import Decimal
from functools import lru_cache

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import people
from accounts.pickers import PersonField
from pdca.quantities import target_text
from pdca.widgets import ListCheckboxes, ListSelect, NamesChoiceField, ValuesChoiceIterator
from plans.models import Kpi, Plan, PlanVersion, Process

from .models import Improvement

# Methods offered for a root-cause analysis (any other may be typed).
ROOT_CAUSE_METHODS = [
    _("5 whys"),
    _("Fishbone (Ishikawa) diagram"),
    _("Fault tree analysis"),
    _("Pareto analysis"),
    _("Change analysis"),
]


def kpis_in_force():
    """The KPIs of the plan versions in force, with their plan, by plan and metric
    (without the versions' texts: thousands of KPIs are offered at scale)."""
    return (
        Kpi.objects.filter(objective__version__status__in=PlanVersion.IN_FORCE)
        .select_related("objective__version__plan")
        .defer("objective__version__sections", "objective__version__approved_content")
        .order_by("objective__version__plan__title", "metric", "pk")
    )


def kpis_for(improvement):
    """The KPIs a baseline or result of `improvement` may come from: those in
    force of its processes' plans and of the SMP, and its own KPI."""
    processes = [p.pk for p in improvement.processes.all()]
    query = Q(objective__version__plan__process__in=processes) | Q(
        objective__version__plan__kind=Plan.Kind.SMP
    )
    if improvement.kpi_id:
        query |= Q(pk=improvement.kpi_id)
    return kpis_in_force().filter(query)


def kpi_label(kpi):
    """“Plan: metric (≥ 95 %)”: which plan's KPI, and its target."""
    return _kpi_label(kpi.objective.version.plan.title, kpi.metric, kpi.direction, kpi.target, kpi.unit)


def _kpi_label(plan_title, metric, direction, target, unit, language=None):
    target = _target_text(language or get_language(), direction, str(target), unit)
    return f"{plan_title}: {metric} ({target})"


@lru_cache(maxsize=1024)
def _target_text(language, direction, target, unit):
    """`target_text` (localised) once per target and language: thousands of KPIs share a few."""
    return target_text(direction, Decimal(target) if target != "None" else None, unit)


class KpiChoiceField(forms.ModelChoiceField):
    # The options are read as values: thousands of KPIs are in force at scale.
    iterator = ValuesChoiceIterator
    label_values = ("objective__version__plan__title", "metric", "direction", "target", "unit")

    def label_from_instance(self, kpi):
        return kpi_label(kpi)

    def label_from_values(self, *values):
        return _kpi_label(*values)

    def values_labeller(self):
        """`label_from_values` with the language asked once for thousands of KPIs."""
        language = get_language()
        return lambda *values: _kpi_label(*values, language=language)


class ImprovementsChoiceField(forms.ModelMultipleChoiceField):
    # The options are read as values: thousands of improvements are open at scale.
    iterator = ValuesChoiceIterator
    label_values = ("number", "title")

    def label_from_values(self, number, title):
        return f"I-{number}: {title}"  # as `Improvement.__str__`


class KpisChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, kpi):
        return kpi_label(kpi)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _text(label, rows=4, **kwargs):
    attrs = {"rows": rows}
    if rows <= 3:
        attrs["class"] = "short"
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs), **kwargs)


class ImprovementForm(forms.Form):
    """A2, A3: an improvement proposed or edited. `source` only when proposing;
    `revision` (the optimistic lock) only when editing; scope and processes are
    fixed (shown, not editable) once the improvement is approved."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = _text(_("Description"), rows=5, help_text=_("What should change, and why."))
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[c for c in Improvement.Source.choices if c[0] != Improvement.Source.FINDING],
        initial=Improvement.Source.SUGGESTION,
        help_text=_("Findings enter the plan from their review."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=Improvement.Scope.choices,
        widget=forms.RadioSelect,
        initial=Improvement.Scope.PROCESS,
        help_text=_(
            "One process: its process owner carries it out. Several processes or company-wide: "
            "it is carried out as a project, and cannot be approved before it has one."
        ),
    )
    processes = NamesChoiceField(
        label=_("Processes affected"),
        queryset=Process.objects.select_related("owner").order_by("name"),
        required=False,
        widget=ListCheckboxes,  # every process: a thousand at scale
    )
    owner = PersonField(
        people.RESPONSIBLE,
        label=_("Owner"),
        required=False,
        empty_label=_("— the process owner —"),
        help_text=_("For several processes or the whole company: who carries it out."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Improvement.Priority.choices, initial=Improvement.Priority.MEDIUM
    )
    size = forms.ChoiceField(
        label=_("Size"), choices=Improvement.Size.choices, initial=Improvement.Size.MEDIUM
    )
    timescale = forms.CharField(
        label=_("Timescale"), max_length=100, required=False, help_text=_("e.g. “this quarter”.")
    )
    required_by = forms.DateField(label=_("Required by"), required=False, widget=DateInput())
    justification = _text(_("Justification"), rows=3)
    expected_benefit = _text(_("Expected measurable benefit"), rows=3)
    kpi = KpiChoiceField(
        label=_("KPI it aims at"),
        queryset=Kpi.objects.none(),
        required=False,
        widget=ListSelect,  # every KPI in force: thousands at scale
        empty_label=_("— none —"),
        help_text=_("Its measurements give the baseline and show the result on a chart."),
    )
    target = forms.DecimalField(
        label=_("Target"),
        required=False,
        max_digits=16,
        decimal_places=4,
        help_text=_("The value the improvement should reach (in the KPI's unit)."),
    )
    revision = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, improvement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = kpis_in_force()
        if improvement is None:
            del self.fields["revision"]
        else:
            del self.fields["source"]
            if improvement.status != Improvement.Status.PROPOSED:
                # The service refuses to change them after approval; show them as they are.
                self.fields["scope"].disabled = True
                self.fields["processes"].disabled = True

    def changed_scope(self, improvement):
        """(scope, processes) when the user changed either, else (None, None)."""
        data = self.cleaned_data
        processes = list(data.get("processes") or [])
        if data.get("scope") == improvement.scope and {p.pk for p in processes} == {
            p.pk for p in improvement.processes.all()
        }:
            return None, None
        return data.get("scope"), processes


class CommentForm(forms.Form):
    comment = _text(_("Comment"), rows=2)


class BaselineFromMeasurementsForm(forms.Form):
    """A4: the baseline from the KPIs' measurements on or before a date."""

    baseline_on = forms.DateField(
        label=_("Baseline date"),
        required=False,
        widget=DateInput(),
        help_text=_("The last value of each KPI on or before this date is taken."),
    )
    kpis = KpisChoiceField(
        label=_("KPIs"), queryset=Kpi.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, improvement, **kwargs):
        kwargs.setdefault("prefix", "measured")
        super().__init__(*args, **kwargs)
        self.fields["kpis"].queryset = kpis_for(improvement)
        if not self.is_bound:
            self.initial.setdefault("baseline_on", timezone.localdate())
            if improvement.kpi_id:
                self.initial.setdefault("kpis", [improvement.kpi_id])


class ValueForm(forms.Form):
    """A value of service quality or service level, entered by hand."""

    label = forms.CharField(
        label=_("What is measured"), max_length=200, required=False, help_text=_("e.g. the KPI's metric.")
    )
    value = forms.DecimalField(label=_("Value"), required=False, max_digits=16, decimal_places=4)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    kpi = KpiChoiceField(
        label=_("KPI"), queryset=Kpi.objects.none(), required=False, empty_label=_("— none —")
    )

    def __init__(self, *args, improvement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = kpis_for(improvement)
        kpi = improvement.kpi
        if not self.is_bound and kpi is not None:
            self.initial.setdefault("label", kpi.metric)
            self.initial.setdefault("unit", kpi.unit)
            self.initial.setdefault("kpi", kpi.pk)


class BaselineValueForm(ValueForm):
    """A4: a baseline value entered with its evidence."""

    measured_on = forms.DateField(label=_("Measured on"), required=False, widget=DateInput())
    evidence = _text(
        _("Evidence"), rows=3, help_text=_("Where the value comes from: a report, a sample, a tool.")
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "manual")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("measured_on", timezone.localdate())


class ResultForm(ValueForm):
    """A4: a value achieved after implementation, measured over a period."""

    period_start = forms.DateField(label=_("Measured from"), required=False, widget=DateInput())
    period_end = forms.DateField(label=_("to"), required=False, widget=DateInput())
    evidence = _text(_("Evidence"), rows=3)


class NonconformityForm(forms.Form):
    """A5: how the nonconformity is eliminated."""

    correction = _text(_("Correction"), rows=3, help_text=Improvement._meta.get_field("correction").help_text)
    root_cause = _text(_("Root cause"), rows=4)
    root_cause_method = forms.CharField(
        label=_("Method"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "root-cause-methods"}),
        help_text=Improvement._meta.get_field("root_cause_method").help_text,
    )
    similar_elsewhere = _text(
        _("Similar nonconformities elsewhere"),
        rows=3,
        help_text=Improvement._meta.get_field("similar_elsewhere").help_text,
    )
    corrective_action = _text(
        _("Corrective action"), rows=3, help_text=Improvement._meta.get_field("corrective_action").help_text
    )
    revision = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class EvaluationForm(forms.Form):
    """A4, A5: whether the implemented improvement is effective, with evidence."""

    effective = forms.TypedChoiceField(
        label=_("Is it effective?"),
        choices=[("yes", _("Effective")), ("no", _("Not effective: reopen it"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    evidence = _text(_("Evidence"), rows=3)
    result = _text(_("Result"), rows=2, help_text=_("What the improvement achieved, in a sentence."))


class ProjectForm(forms.Form):
    """A3: a project that carries improvements spanning processes or the company."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    manager = PersonField(people.RESPONSIBLE, label=_("Project manager"), required=False)
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DateInput())
    description = _text(_("Description"), rows=4)
    improvements = ImprovementsChoiceField(
        label=_("Improvements it carries"),
        queryset=Improvement.objects.none(),
        required=False,
        widget=ListCheckboxes,  # the open improvements: thousands at scale
    )

    def __init__(self, *args, improvements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["improvements"].queryset = improvements


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200, required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DateInput())

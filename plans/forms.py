"""Forms of the plan pages. They parse what the user typed; the rules are in
plans.services, which the views call with the cleaned data. That is why most
fields are optional here: a missing title or target is refused by the service,
with the service's message, not by a second copy of the rule."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from accounts.pickers import PeopleField, PersonField

from . import permissions
from .models import Kpi, Objective, Plan, PlanVersion, Process, Responsibility

User = get_user_model()


def active_users():
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class RevisionField(forms.IntegerField):
    """The revision the user started from (the optimistic lock of a draft)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, **kwargs)


# -- the plan list -----------------------------------------------------------


class PlanFilter(django_filters.FilterSet):
    """Filters of the plan list; the choices only name what the user may see."""

    STATUS_CHOICES = [
        (value, label)
        for value, label in PlanVersion.Status.choices
        if value != PlanVersion.Status.SUPERSEDED
    ]

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status", empty_label=_("Any status")
    )
    process = django_filters.ModelChoiceFilter(
        label=_("Process"),
        queryset=lambda request: Process.objects.filter(
            plan__in=Plan.objects.visible_to(request.user).values("pk")
        ),
        empty_label=_("Any process"),
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        field_name="process__owner",
        empty_label=_("Anyone"),
        queryset=lambda request: (
            active_users()
            .filter(owned_processes__plan__in=Plan.objects.visible_to(request.user).values("pk"))
            .distinct()
        ),
    )

    class Meta:
        model = Plan
        fields = ["status", "process", "owner"]

    def filter_status(self, queryset, name, value):
        # A superseded version is never "the" status of a plan, so the
        # remaining versions are the one in force and the draft: a plan
        # matches when either has the status.
        return queryset.filter(Exists(PlanVersion.objects.filter(plan=OuterRef("pk"), status=value)))


# -- creating and editing ------------------------------------------------------


class ProcessPlanCreateForm(forms.Form):
    process = forms.ModelChoiceField(
        queryset=Process.objects.none(),
        label=_("Process"),
        help_text=_("Processes you own or deputise that have no plan yet."),
    )
    title = forms.CharField(
        max_length=200,
        required=False,
        label=_("Title"),
        help_text=_("Leave empty for “&lt;process&gt; plan”."),
    )

    def __init__(self, *args, processes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = processes


class SectionForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), required=False, strip=False)
    revision = RevisionField()

    def __init__(self, *args, section_title="Text", guidance="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = section_title
        self.fields["text"].help_text = (
            _("%(guidance)s Write in Markdown: **bold**, *italic*, lists with “- ”, tables.")
            % {"guidance": guidance}
            if guidance
            else ""
        )
        self.fields["text"].widget.attrs["aria-describedby"] = "id_text_help"


RESPONSIBILITY_HELP = {
    Responsibility.Kind.APPROVAL: _("Only managers approve plans."),
}


class ResponsibilitiesForm(forms.Form):
    """One choice of people per responsibility (P2); the approver is chosen among managers."""

    revision = RevisionField()

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = plan.responsibility_kinds
        for kind, label in self.kinds:
            self.fields[kind] = PeopleField(
                permissions.holders_of(kind),
                required=False,
                label=label,
                help_text=RESPONSIBILITY_HELP.get(kind, ""),
            )

    reviewer_may_approve = forms.BooleanField(
        required=False,
        label=_("The reviewer may also approve"),
        help_text=_(
            "Allow one person to be named both reviewer and approver; he or she then reviews and "
            "approves in one step. Without it, the approver decides only after somebody else reviewed the plan."
        ),
    )

    def kind_fields(self):
        return [self[kind] for kind, _ in self.kinds]

    def assignments(self):
        return {kind: list(self.cleaned_data.get(kind) or []) for kind, _ in self.kinds}


class ObjectiveForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        required=False,
        label=_("Code"),
        help_text=_(
            "A short reference such as O1, kept across versions. Leave empty for the next free code."
        ),
    )
    title = forms.CharField(max_length=200, required=False, label=_("Title"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "class": "short"}), required=False, label=_("Description")
    )
    traces_to = forms.ModelChoiceField(
        queryset=Objective.objects.none(),
        required=False,
        label=_("Traces to SMP objective"),
        empty_label=_("— choose the SMP objective it serves —"),
    )
    revision = RevisionField()

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        if version.plan.is_smp:
            del self.fields["traces_to"]
        else:
            smp_version = version.conforms_to
            self.fields["traces_to"].queryset = (
                smp_version.objectives.all() if smp_version else Objective.objects.none()
            )
            if smp_version:
                self.fields["traces_to"].help_text = _(
                    "Objectives of version %(number)s of the service management plan, "
                    "the version this plan conforms to."
                ) % {"number": smp_version.number}


class KpiForm(forms.Form):
    metric = forms.CharField(max_length=200, required=False, label=_("Metric"))
    unit = forms.CharField(
        max_length=40, required=False, label=_("Unit"), help_text=_("For example %, hours, count.")
    )
    direction = forms.ChoiceField(choices=Kpi.Direction.choices, label=_("Direction"))
    target = forms.DecimalField(max_digits=14, decimal_places=4, required=False, label=_("Target"))
    owner = PersonField(permissions.KPI_HOLDERS, required=False, label=_("KPI owner"))
    frequency = forms.ChoiceField(choices=Kpi.Frequency.choices, label=_("Measured"))
    revision = RevisionField()


class DistributionForm(forms.Form):
    """P6: who receives the plan when it is communicated."""

    users = PeopleField(permissions.DISTRIBUTION_HOLDERS, required=False, label=_("People"))
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        label=_("Roles"),
        help_text=_("Everybody with one of these roles receives the plan."),
        widget=forms.CheckboxSelectMultiple,
    )


class CompareForm(forms.Form):
    a = forms.TypedChoiceField(coerce=int, label=_("Older version"))
    b = forms.TypedChoiceField(coerce=int, label=_("Newer version"))

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (
                v.number,
                _("Version %(number)s (%(status)s)")
                % {"number": v.number, "status": v.get_status_display().lower()},
            )
            for v in versions
        ]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices


class ProcessForm(forms.ModelForm):
    """A process with its owner and deputies; the rules are in services.save_process."""

    class Meta:
        model = Process
        fields = ["name", "description", "owner", "deputies"]
        widgets = {"description": forms.Textarea(attrs={"class": "short", "rows": 3})}
        help_texts = {
            "owner": _(
                "Plans, operates and improves the process; changes only the plans of his or her processes."
            ),
            "deputies": _("May edit the process plan on the owner's behalf."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in (
            ("owner", PersonField(permissions.PROCESS_HOLDERS)),
            ("deputies", PeopleField(permissions.PROCESS_HOLDERS, required=False)),
        ):
            field.label = self.fields[name].label
            field.help_text = self.fields[name].help_text
            self.fields[name] = field

    def validate_unique(self):
        # Uniqueness is a rule of services.save_process, which says it per field.
        pass

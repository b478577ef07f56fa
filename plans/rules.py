"""The content rules of a plan version (P1, P2), asked by the services before
a submission and by `plans.permissions` to tell an author what is left."""

from django.utils.translation import gettext as _

from .models import Responsibility


def submission_problems(version):
    """What keeps a draft from being submitted, by part; empty when it can be.

    P2: all five responsibilities, an approver who did not write or edit it,
    and a reviewer other than the approver unless the plan allows one person
    to be both (P3). P1: objectives with KPIs, each tracing to an objective of the SMP
    version the plan conforms to. And every section written."""
    problems = {}
    present = {r.kind for r in version.responsibilities.all()}
    missing = [str(label) for kind, label in version.plan.responsibility_kinds if kind not in present]
    if missing:
        problems["responsibilities"] = [
            _("Name who is responsible for: %(kinds)s.") % {"kinds": ", ".join(m.lower() for m in missing)}
        ]
    approvers = version.responsible(Responsibility.Kind.APPROVAL)
    editor_ids = {version.author_id, version.last_editor_id, *version.editors.values_list("pk", flat=True)}
    if any(u.pk in editor_ids for u in approvers):
        problems.setdefault("responsibilities", []).append(
            _(
                "The approver is the author or last editor of this version, or edited it before: "
                "name another manager."
            )
        )
    reviewers = version.responsible(Responsibility.Kind.REVIEW)
    both = [str(u) for u in approvers if u in reviewers]
    if both and not version.reviewer_may_approve:
        problems.setdefault("responsibilities", []).append(
            _(
                "%(names)s is named both reviewer and approver: name another reviewer, or say that the "
                "reviewer may also approve."
            )
            % {"names": ", ".join(both)}
        )
    objectives = list(version.objectives.select_related("traces_to").prefetch_related("kpis"))
    # A1: the CSI principle defines roles and responsibilities, not objectives of its own.
    if not objectives and not version.plan.is_csi_principle:
        problems["objectives"] = [_("Add at least one objective with a measurable KPI.")]
    without_kpi = [o.code for o in objectives if not o.kpis.all()]
    if without_kpi:
        problems.setdefault("objectives", []).append(
            _("Give each objective at least one KPI (missing for %(codes)s).")
            % {"codes": ", ".join(without_kpi)}
        )
    if version.plan.kind == version.plan.Kind.PROCESS:
        untraced = [o.code for o in objectives if o.traces_to_id is None]
        if untraced:
            problems.setdefault("objectives", []).append(
                _("Every objective traces to an SMP objective (not yet: %(codes)s).")
                % {"codes": ", ".join(untraced)}
            )
        wrong = [
            o.code for o in objectives if o.traces_to_id and o.traces_to.version_id != version.conforms_to_id
        ]
        if wrong:
            problems.setdefault("objectives", []).append(
                _("Objectives %(codes)s trace to another SMP version than the one this plan conforms to.")
                % {"codes": ", ".join(wrong)}
            )
    empty = [
        str(title)
        for key, title, _guidance in version.plan.section_definitions
        if not version.sections.get(key, "").strip()
    ]
    if empty:
        problems["sections"] = [_("Write the sections: %(titles)s.") % {"titles": ", ".join(empty)}]
    return problems

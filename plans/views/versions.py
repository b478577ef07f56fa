"""One version of a plan: its page, and the workflow decisions taken on it
(submit, withdraw, review, approve, request changes, communicate,
acknowledge; P3, P6)."""

from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pdca.controlled import canonical_json
from pdca.pages import attempt
from plans import next_steps, permissions, services
from plans.diff import compare_versions
from plans.models import Acknowledgement, Kpi, PlanVersion, Responsibility
from plans.rules import submission_problems

from .common import plan_and_version
from .plans import keep_typed, live_version_actions, render_refused_on_plan_page

Status = PlanVersion.Status


def version_context(request, plan, version):
    user = request.user
    objectives = list(
        version.objectives.select_related("traces_to").prefetch_related(
            Prefetch("kpis", queryset=Kpi.objects.select_related("owner"))
        )
    )
    prefetch_related_objects(
        [version], Prefetch("responsibilities", queryset=Responsibility.objects.select_related("user"))
    )
    responsibilities = list(version.responsibilities.all())
    by_kind = [
        (kind, label, [r.user for r in responsibilities if r.kind == kind])
        for kind, label in plan.responsibility_kinds
    ]
    acknowledgement = (
        Acknowledgement.objects.filter(version=version, user=user).first()
        if version.status == Status.COMMUNICATED
        else None
    )
    can_edit = permissions.can_edit_plan(user, plan)
    problems = submission_problems(version) if version.status == Status.DRAFT and can_edit else {}
    live = live_version_actions(user, version, acknowledgement=acknowledgement, problems=problems)
    changes = (
        _changes_since_approval(user, plan, version)
        if version.status in PlanVersion.AWAITING_DECISION
        else {}
    )
    sections = [
        {"key": key, "title": title, "guidance": guidance, "text": version.section_text(key)}
        for key, title, guidance in plan.section_definitions
    ]
    return {
        "plan": plan,
        "version": version,
        "sections": sections,
        "objectives": objectives,
        "responsibilities": by_kind,
        "editable": bool(live["actions"].edit),
        "live": live,
        "checklist": _checklist(plan, problems) if live["actions"].edit else None,
        "problem_count": sum(len(m) for m in problems.values()),
        "recipient_count": len(services.distribution_recipients(plan)) if live["actions"].communicate else 0,
        "other_versions": PlanVersion.objects.visible_to(user)
        .filter(plan=plan)
        .exclude(pk=version.pk)
        .count(),
        # Recomputed on every view: the page says whether the record still is what was approved.
        "verification_problems": version.verification_problems() if version.content_hash else [],
        **changes,
    }


def _changes_since_approval(user, plan, version):
    """For a version awaiting a decision: what changed since the plan's last
    approved version (rendered diff of the changed parts), and what follows an
    approval, so that the reviewer and the approver decide on the page."""
    base = (
        PlanVersion.objects.visible_to(user)
        .filter(plan=plan, number__lt=version.number, status__in=PlanVersion.APPROVED_STATES)
        .order_by("-number")
        .first()
    )
    diffs = compare_versions(base, version) if base is not None else []
    return {
        "approved_base": base,
        "changed_parts": [d for d in diffs if d.changed],
        "unchanged_parts": [d.title for d in diffs if not d.changed],
        "after_approval": next_steps.step_for(version, Status.APPROVED, user=user),
        "authors": next_steps.editors(version),
    }


def _checklist(plan, problems):
    """The submission checklist: each part of the plan, done or what is missing."""
    parts = [
        ("sections", _("Every section is written")),
        (
            "objectives",
            _("Objectives, each with a KPI")
            if plan.is_smp
            else _("Objectives, each with a KPI and traced to the SMP"),
        ),
        ("responsibilities", _("The five responsibilities are named")),
    ]
    return [
        {"label": label, "done": key not in problems, "problems": problems.get(key, [])}
        for key, label in parts
    ]


def version_detail(request, pk, number):
    plan, version = plan_and_version(request, pk, number)
    return render(request, "plans/version_detail.html", version_context(request, plan, version))


def approved_content(request, pk, number):
    """The canonical content of an approved version, as the bytes its SHA-256
    was taken over, so that anyone can recompute the hash (`sha256sum`)."""
    plan, version = plan_and_version(request, pk, number)
    if not version.content_hash or version.approved_content is None:
        raise Http404(_("This version is not approved."))
    response = HttpResponse(canonical_json(version.approved_content), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="plan-{plan.pk}-v{version.number}-approved-content.json"'
    )
    response["X-Content-SHA256"] = version.content_hash
    return response


TRANSITIONS = {
    "submit": (
        lambda v, u, c: services.submit_plan(version=v, actor=u, comment=c),
        gettext_lazy("Version %(number)s is submitted for approval."),
    ),
    "review": (
        lambda v, u, c: services.review_plan(version=v, actor=u, comment=c),
        gettext_lazy("Version %(number)s is reviewed."),
    ),
    "approve": (
        lambda v, u, c: services.approve_plan(version=v, actor=u, comment=c),
        gettext_lazy("Version %(number)s is approved."),
    ),
    "request-changes": (
        lambda v, u, c: services.request_changes(version=v, actor=u, comment=c),
        gettext_lazy("Version %(number)s is back to draft with your comment."),
    ),
    "withdraw": (
        lambda v, u, c: services.withdraw_submission(version=v, actor=u, comment=c),
        gettext_lazy("You withdrew the submission: version %(number)s is a draft again."),
    ),
    "communicate": (
        lambda v, u, c: services.communicate_plan(version=v, actor=u, comment=c),
        gettext_lazy("Version %(number)s is communicated; every recipient is asked to acknowledge it."),
    ),
    "acknowledge": (
        lambda v, u, c: services.acknowledge_plan(version=v, actor=u),
        gettext_lazy("Thank you: you acknowledged version %(number)s."),
    ),
}


@require_POST
def version_transition(request, pk, number, transition):
    """P3, P6: submit, withdraw, review, approve, request changes, communicate,
    acknowledge. A refusal is shown on the page the user came from, with what he or she typed."""
    if transition not in TRANSITIONS:
        raise Http404(_("No such action."))
    plan, version = plan_and_version(request, pk, number)
    perform, done = TRANSITIONS[transition]
    comment = request.POST.get("comment", "")
    back_to_version = request.POST.get("return_to") == "version"
    with attempt() as outcome:
        perform(version, request.user, comment)
        message = done % {"number": version.number}
        if transition != "acknowledge":
            # After each transition the page names who acts next.
            version.refresh_from_db()
            message = f"{message} {next_steps.next_step(version, user=request.user).text}"
        messages.success(request, message)
        return redirect(version if back_to_version else plan)
    typed = {transition.replace("-", "_"): comment}
    if back_to_version:
        version.refresh_from_db()
        context = version_context(request, plan, version)
        context["refusal"] = outcome.refusal
        keep_typed(context, typed, [context["live"]])
        return render(request, "plans/version_detail.html", context, status=outcome.status)
    return render_refused_on_plan_page(request, plan, outcome.refusal, typed)

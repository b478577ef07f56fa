"""What Plan gives the report renderer (C7): a plan version as a controlled
PDF, who may export it, and the audit trail of a plan. Registered with
`pdca.reports` from `plans/apps.py`.

The controlled PDF of a version has a title block (version, status, author,
reviewer, approver and dates, the SMP version it conforms to, the content
hash), the responsibilities, the distribution list with acknowledgement dates,
the sections, the objectives with their KPIs, and the decisions on the
version. It is stored once when the version is approved, and once more when it
is superseded (then marked "SUPERSEDED" on every page); a version not yet
approved is rendered on request, marked "DRAFT – not approved".
"""

from django.conf import settings
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdca import controlled, reports
from pdca.decisions import timeline
from pdca.models import ReportFile
from pdca.quantities import target_text

from .models import Acknowledgement, Kpi, Plan, PlanVersion, Responsibility

Status = PlanVersion.Status
REPORT = "plans.version"


# -- who may export ---------------------------------------------------------------------------


def user_owns_process(user, process):
    """The owner or a deputy of `process` (deputies read from a prefetch when there is one)."""
    if process is None or not user.is_authenticated:
        return False
    return process.owner_id == user.pk or any(d.pk == user.pk for d in process.deputies.all())


def plan_published_to(user, plan):
    """`user` reads `plan` as staff do: it was communicated, he or she holds a
    responsibility in one of its versions, or owns its process."""
    if user_owns_process(user, plan.process if plan.process_id else None):
        return True
    return (
        PlanVersion.objects.filter(plan=plan)
        .filter(Q(communicated_at__isnull=False) | Q(responsibilities__user=user))
        .exists()
    )


def version_export_refusal(user, version):
    """C7: auditors and managers export every plan; process owners those of
    their processes; readers of a plan its approved versions, and whoever
    holds a responsibility in a version that version."""
    plan = version.plan
    if reports.exports_everything(user) or user_owns_process(user, plan.process if plan.process_id else None):
        return ""
    if version.status in PlanVersion.APPROVED_STATES and plan_published_to(user, plan):
        return ""
    if Responsibility.objects.filter(version=version, user=user).exists():
        return ""
    return _(
        "This version is exported by auditors, managers and the process owner; readers of the plan "
        "export its approved versions."
    )


def plan_trail_refusal(user, plan):
    if reports.exports_everything(user) or user_owns_process(user, plan.process if plan.process_id else None):
        return ""
    return _("The audit trail of a plan is exported by auditors, managers and the process owner.")


def version_queryset():
    return PlanVersion.objects.select_related(
        "plan__process__owner", "author", "approved_by", "reviewed_by", "conforms_to__plan"
    ).prefetch_related("plan__process__deputies")


def visible_versions(user):
    return version_queryset().filter(pk__in=PlanVersion.objects.visible_to(user).values("pk"))


def plan_queryset():
    return Plan.objects.select_related("process__owner").prefetch_related("process__deputies")


def visible_plans(user):
    return plan_queryset().filter(pk__in=Plan.objects.visible_to(user).values("pk"))


# -- the controlled PDF -----------------------------------------------------------------------------


def version_issued_state(version):
    if version.status == Status.SUPERSEDED:
        return "superseded"
    if version.status in PlanVersion.IN_FORCE:
        return "approved"
    return ""


def issued_versions():
    for pk, status in PlanVersion.objects.filter(status__in=PlanVersion.APPROVED_STATES).values_list(
        "pk", "status"
    ):
        yield pk, "superseded" if status == Status.SUPERSEDED else "approved"


def version_report(version, state=""):
    """The controlled PDF's data: plain values only (see pdca.reports)."""
    plan = version.plan
    approved = version.status in PlanVersion.APPROVED_STATES
    superseded = state == "superseded" or version.status == Status.SUPERSEDED
    if approved:
        content_hash = version.content_hash
        recomputed = version.compute_hash()
        problems = [str(p) for p in version.verification_problems()]
    else:
        content_hash = controlled.content_hash(version.canonical_content())
        recomputed, problems = content_hash, []
    title = version.title or plan.title
    kinds = getattr(plan, "responsibility_kinds", None) or Responsibility.Kind.choices[:5]
    responsibilities = list(version.responsibilities.select_related("user"))
    objectives = version.objectives.select_related("traces_to").prefetch_related(
        Prefetch("kpis", queryset=Kpi.objects.select_related("owner").order_by("pk"))
    )
    decisions = list(timeline(version))
    if superseded:
        watermark = _("SUPERSEDED")
    elif not approved:
        watermark = _("DRAFT – not approved")
    else:
        watermark = ""
    data = {
        "kind": "plan",
        "document_title": _("%(title)s, version %(number)s") % {"title": title, "number": version.number},
        "title": title,
        "subtitle": plan.get_kind_display() + (f" · {plan.process}" if plan.process_id else ""),
        "watermark": watermark,
        "approved": approved,
        "superseded": superseded,
        "status": version.status,
        "status_label": version.get_status_display(),
        "content_hash": content_hash,
        "facts": [
            (_("Document"), plan.get_kind_display()),
            *(
                [(_("Process"), plan.process.name), (_("Process owner"), str(plan.process.owner))]
                if plan.process_id
                else []
            ),
            (_("Version"), version.number),
            (_("Status"), version.get_status_display()),
            (_("Written by"), str(version.author)),
            (
                _("Reviewed by"),
                f"{version.reviewed_by}, {reports.moment(version.reviewed_at)}"
                if version.reviewed_at
                else "—",
            ),
            (_("Approved by"), str(version.approved_by) if version.approved_by_id else "—"),
            (_("Approved on"), reports.moment(version.approved_at)),
            (_("Communicated on"), reports.moment(version.communicated_at)),
            *([(_("Superseded on"), reports.moment(version.superseded_at))] if version.superseded_at else []),
            *(
                [
                    (
                        _("Conforms to"),
                        _("Service management plan, version %(number)s")
                        % {"number": version.conforms_to.number},
                    )
                ]
                if version.conforms_to_id
                else []
            ),
        ],
        "approval": (
            {
                "by": str(version.approved_by),
                "at": version.approved_at,
                "comment": next((d.comment for d in reversed(decisions) if d.action == "approve"), ""),
            }
            if approved
            else None
        ),
        "responsibilities": [
            {
                "label": str(label),
                "people": sorted((str(r.user) for r in responsibilities if r.kind == kind), key=str.casefold),
            }
            for kind, label in kinds
        ],
        "distribution": _distribution(version),
        "sections": [
            {"key": key, "title": str(section_title), "text": version.section_text(key)}
            for key, section_title, _guidance in plan.section_definitions
        ],
        "objectives": [
            {
                "code": o.code,
                "title": o.title,
                "description": o.description,
                "traces_to": f"{o.traces_to.code} {o.traces_to.title}" if o.traces_to_id else "",
                "kpis": [
                    {
                        "metric": k.metric,
                        "target": target_text(k.direction, k.target, k.unit),
                        "direction": k.get_direction_display(),
                        "owner": str(k.owner),
                        "frequency": k.get_frequency_display(),
                    }
                    for k in o.kpis.all()
                ],
            }
            for o in objectives
        ],
        "decision_log": [
            {"at": d.at, "actor": str(d.actor), "label": str(d.action_label), "comment": d.comment}
            for d in decisions
        ],
        "verification": {
            "content_hash": content_hash,
            "recomputed": recomputed,
            "matches": recomputed == content_hash and not problems,
            "problems": problems,
            "json_path": reverse("plans:approved_content", args=[plan.pk, version.number])
            if approved
            else "",
            "api_path": settings.SITE_URL + reverse("planversion-detail", args=[version.pk]),
        },
    }
    data["toc"] = [
        ("cover", _("The document")),
        ("responsibilities", _("Responsibilities")),
        ("distribution", _("Distribution and acknowledgements")),
        *((f"section-{s['key']}", s["title"]) for s in data["sections"]),
        ("objectives", _("Objectives and KPIs")),
        ("decision-log", _("Decision records")),
        ("verification", _("Checksum and how to verify it")),
    ]
    return data


def _distribution(version):
    """Who the version was sent to and when each acknowledged it; before it
    is communicated, the distribution list it will be sent to."""
    plan = version.plan
    if version.communicated_at:
        return {
            "sent": True,
            "people": [
                {"name": str(a.user), "sent_at": a.sent_at, "acknowledged_at": a.acknowledged_at}
                for a in Acknowledgement.objects.filter(version=version).select_related("user")
            ],
            "roles": [],
        }
    return {
        "sent": False,
        "people": [
            {"name": str(u), "sent_at": None, "acknowledged_at": None}
            for u in plan.distribution_users.order_by("last_name", "username")
        ],
        "roles": [g.name for g in plan.distribution_groups.order_by("name")],
    }


def version_filename(version):
    suffix = {"approved": "", "superseded": "-superseded"}.get(version_issued_state(version), "-draft")
    return f"plan-{version.plan_id}-v{version.number}{suffix}.pdf"


def store_after_approval(sender=None, version=None, **kwargs):
    """Receiver of `plans.signals.version_approved`: store the new version's
    PDF, and the "superseded" PDF of the versions it superseded, after commit."""
    reports.store_after_commit(REPORT, version.pk)
    stored = ReportFile.objects.filter(report=REPORT, state="superseded").values("object_id")
    for pk in (
        PlanVersion.objects.filter(plan_id=version.plan_id, status=Status.SUPERSEDED)
        .exclude(pk__in=stored)
        .values_list("pk", flat=True)
    ):
        reports.store_after_commit(REPORT, pk)


# -- the audit trail of a plan ------------------------------------------------------------------------


def plan_trail(plan):
    from django.contrib.contenttypes.models import ContentType

    from .models import Handover
    from .selectors import plan_history

    versions = list(plan.versions.order_by("number"))
    handovers = list(Handover.objects.filter(plan=plan))
    version_type = ContentType.objects.get_for_model(PlanVersion)
    acknowledgements = Acknowledgement.objects.filter(version__plan=plan).select_related("user", "version")
    return {
        "title": plan.title,
        "facts": [
            (_("Plan"), plan.title),
            (_("Kind"), plan.get_kind_display()),
            *([(_("Process"), plan.process.name)] if plan.process_id else []),
            (_("Versions"), len(versions)),
        ],
        "decisions": list(timeline(plan, *versions, *handovers)),
        "subject_label": {
            (version_type.pk, v.pk): _("Version %(number)s") % {"number": v.number} for v in versions
        },
        "changes": plan_history(plan),
        "tables": [
            {
                "title": _("Distribution and acknowledgements"),
                "columns": [_("Version"), _("Recipient"), _("Sent"), _("Acknowledged")],
                "rows": [
                    [a.version.number, str(a.user), a.sent_at, a.acknowledged_at or "—"]
                    for a in acknowledgements.order_by("version__number", "user__last_name", "user__username")
                ],
                "empty": _("No version was communicated yet."),
            }
        ],
    }


# -- the plan page's card ------------------------------------------------------------------------------


def plan_reports_panel(request, plan):
    """C7 on the plan page: the controlled PDF of the version in force and the
    plan's audit trail, for those who may export them."""
    user = request.user
    version = plan.current_version
    links = []
    if version is not None:
        version = version_queryset().get(pk=version.pk)
        if not version_export_refusal(user, version):
            links.append(
                {
                    "label": _("Version %(number)s in force (controlled PDF)") % {"number": version.number},
                    "url": reverse("reports:document", args=[REPORT, version.pk]),
                }
            )
    trail = not plan_trail_refusal(user, plan)
    if not links and not trail:
        return None
    return {"template": "reports/_plan_panel.html", "plan": plan, "links": links, "trail": trail}


def register():
    """Called from plans/apps.py."""
    reports.register_report(
        reports.Report(
            name=REPORT,
            label=gettext_lazy("Plan version (controlled PDF)"),
            template="reports/plan_version.html",
            build=version_report,
            queryset=version_queryset,
            visible=visible_versions,
            refusal=version_export_refusal,
            title=lambda v: (
                _("%(title)s, version %(number)s") % {"title": v.title or v.plan.title, "number": v.number}
            ),
            filename=version_filename,
            issued_state=version_issued_state,
            issued=issued_versions,
        )
    )
    reports.register_record(
        reports.Record(
            name="plans.plan",
            label=gettext_lazy("Plan"),
            queryset=plan_queryset,
            visible=visible_plans,
            refusal=plan_trail_refusal,
            trail=plan_trail,
            title=lambda plan: plan.title,
            filename=lambda plan: f"plan-{plan.pk}",
        )
    )

"""What Check gives the report renderer (C7): the review report as plain data,
who may export it, and the audit trails of reviews and findings. Registered
with `pdca.reports` from `reviews/apps.py`.

The review report shows what was reviewed (plan and exact version), who, when,
the management review's inputs, objective attainment with the KPI charts,
findings by grade, decisions, actions, minutes, addenda, the approval and the
review's content hash with the way to verify it. An approved review's PDF is
stored when it is approved; a review not yet approved is rendered on request,
marked "DRAFT – not approved" on every page.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdca import controlled, reports
from pdca.decisions import timeline
from pdca.history import Describer, change_entries
from plans.models import Kpi
from plans.reports import plan_published_to, user_owns_process

from .clauses import CLAUSES
from .models import Addendum, Attainment, Finding, Measurement, Review, ReviewAction, ReviewInput

Status = Review.Status
CLAUSE_TITLES = dict(CLAUSES)


# -- who may export ---------------------------------------------------------------------------


def _owns_reviewed_process(user, review):
    processes = list(review.processes.all())
    if review.plan_id and review.plan.process_id:
        processes.append(review.plan.process)
    return any(user_owns_process(user, process) for process in processes)


def review_export_refusal(user, review):
    """C7: auditors and managers export every review report; process owners
    those of their processes; everybody who reads the reviewed plan the
    approved reviews of it."""
    if reports.exports_everything(user) or _owns_reviewed_process(user, review):
        return ""
    if review.status == Status.APPROVED and review.plan_id and plan_published_to(user, review.plan):
        return ""
    return _(
        "The report of this review is exported by auditors, managers and the owners of the reviewed "
        "processes; readers of the plan export it once it is approved."
    )


def review_trail_refusal(user, review):
    """The history and decision records of a review: auditors, managers and
    the owners of the reviewed processes."""
    if reports.exports_everything(user) or _owns_reviewed_process(user, review):
        return ""
    return _("The audit trail of a review is exported by auditors, managers and the process owners.")


def finding_trail_refusal(user, finding):
    if reports.exports_everything(user) or user_owns_process(user, finding.process):
        return ""
    return review_trail_refusal(user, finding.review)


def review_queryset():
    return Review.objects.select_related(
        "plan__process__owner", "version", "reviewer", "author", "approved_by", "schedule"
    ).prefetch_related("processes__deputies", "plan__process__deputies")


def visible_reviews(user):
    return review_queryset().filter(pk__in=Review.objects.visible_to(user).values("pk"))


def visible_findings(user):
    return Finding.objects.select_related("review__plan__process", "process").filter(
        review__in=Review.objects.visible_to(user).values("pk")
    )


# -- the review report --------------------------------------------------------------------------


def review_report(review, state=""):
    """The review report's data: plain values only (see pdca.reports)."""
    approved = review.status == Status.APPROVED
    participants = sorted((str(u) for u in review.participants.all()), key=str.casefold)
    processes = [p.name for p in review.processes.all()]
    decisions = list(timeline(review))
    approval_comment = next((d.comment for d in reversed(decisions) if d.action == "approve"), "")
    if approved:
        content_hash = review.content_hash
        recomputed = review.compute_hash()
        problems = [str(p) for p in review.verification_problems()]
    else:
        content_hash = controlled.content_hash(review.canonical_content())
        recomputed, problems = content_hash, []
    version = review.version
    data = {
        "kind": "review",
        "document_title": review.title,
        "title": review.title,
        "subtitle": review.get_kind_display(),
        "watermark": "" if approved else _("DRAFT – not approved"),
        "approved": approved,
        "status": review.status,
        "status_label": review.get_status_display(),
        "content_hash": content_hash,
        "facts": [
            (_("Kind of review"), review.get_kind_display()),
            (
                _("What was reviewed"),
                _("%(plan)s, version %(number)s (%(status)s)")
                % {
                    "plan": version.title or review.plan.title,
                    "number": version.number,
                    "status": version.get_status_display().lower(),
                }
                if version
                else (review.plan.title if review.plan_id else _("The processes listed below")),
            ),
            *([(_("Processes audited"), ", ".join(processes))] if processes else []),
            (_("Planned for"), reports.day(review.planned_on)),
            (_("Held on"), reports.day(review.held_on)),
            (_("Period covered"), f"{reports.day(review.period_start)} – {reports.day(review.period_end)}"),
            (_("Reviewer"), str(review.reviewer)),
            (_("Participants"), ", ".join(participants) or "—"),
            (_("Planned by"), str(review.author)),
            (_("Status"), review.get_status_display()),
        ],
        "approval": (
            {"by": str(review.approved_by), "at": review.approved_at, "comment": approval_comment}
            if approved
            else None
        ),
        "inputs": _inputs(review),
        "attainment": _attainment(review),
        "findings_by_grade": _findings_by_grade(review),
        "finding_count": review.findings.count(),
        "decisions_text": review.decisions,
        "actions": [
            {
                "description": a.description,
                "owner": str(a.owner),
                "due_on": a.due_on,
                "status": a.status,
                "status_label": a.get_status_display(),
                "done_on": a.done_on,
            }
            for a in review.actions.select_related("owner").order_by("due_on", "pk")
        ],
        "minutes_text": review.minutes,
        "addenda": [
            {"author": str(a.author), "at": a.written_at, "text": a.text}
            for a in review.addenda.select_related("author").order_by("written_at", "pk")
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
            "api_path": settings.SITE_URL + reverse("review-detail", args=[review.pk]),
        },
    }
    data["toc"] = [
        item
        for item in [
            ("cover", _("The review")),
            ("inputs", _("Inputs of the management review")) if data["inputs"] else None,
            ("attainment", _("Objective attainment")),
            ("findings", _("Findings")),
            ("decisions", _("Decisions")),
            ("actions", _("Actions")),
            ("minutes", _("Minutes")),
            ("addenda", _("Addenda")),
            ("decision-log", _("Decision records")),
            ("verification", _("Checksum and how to verify it")),
        ]
        if item
    ]
    return data


def _inputs(review):
    if review.kind != Review.Kind.MANAGEMENT:
        return []
    return [
        {"label": str(i.label), "status": i.status, "status_label": i.get_status_display(), "notes": i.notes}
        for i in review.inputs.order_by("position", "pk")
    ]


def _attainment(review):
    """One row per objective's KPI, with the KPI's chart over the period when
    values were measured (reviews.charts, inline SVG: nothing is fetched)."""
    from .charts import kpi_chart

    rows = list(review.attainments.select_related("kpi").order_by("objective_code", "pk"))
    keys = {row.kpi_key for row in rows if row.kpi_key}
    series = {}
    for measurement in (
        Measurement.objects.filter(kpi_key__in=keys)
        .within(review.period_start, review.period_end)
        .select_related("kpi")
        .order_by("period_end", "pk")
    ):
        series.setdefault(measurement.kpi_key, []).append(measurement)
    result = []
    for row in rows:
        sign = "≥" if row.direction == Kpi.Direction.HIGHER else "≤"
        kpi = row.kpi or Kpi(
            pk=row.pk, metric=row.metric, unit=row.unit, direction=row.direction, target=row.target
        )
        measured = series.get(row.kpi_key, [])
        result.append(
            {
                "objective_code": row.objective_code,
                "objective_title": row.objective_title,
                "metric": row.metric,
                "unit": row.unit,
                "sign": sign,
                "direction": row.direction,
                "target": row.target,
                "measured": row.measured,
                "met": row.met,
                "comment": row.comment,
                "chart": kpi_chart(kpi, measured, width=640, height=220) if measured else "",
                "values": len(measured),
            }
        )
    return result


def _findings_by_grade(review):
    findings = list(review.findings.select_related("process").order_by("number"))
    groups = []
    for grade, label in Finding.Grade.choices:
        items = [
            {
                "number": f.number,
                "code": f.code,
                "grade": f.grade,
                "clause": f.clause,
                "clause_title": str(CLAUSE_TITLES.get(f.clause, "")),
                "process": f.process.name if f.process_id else "",
                "description": f.description,
                "evidence": f.evidence,
                "status_label": f.get_status_display(),
            }
            for f in findings
            if f.grade == grade
        ]
        if items:
            groups.append({"grade": grade, "label": str(label), "items": items})
    return groups


def review_issued_state(review):
    return "approved" if review.status == Status.APPROVED else ""


def approved_reviews():
    return (
        (pk, "approved") for pk in Review.objects.filter(status=Status.APPROVED).values_list("pk", flat=True)
    )


def review_filename(review):
    return f"review-{review.pk}{'' if review.status == Status.APPROVED else '-draft'}.pdf"


# -- audit trails ---------------------------------------------------------------------------------


def review_trail(review):
    """The decision records and the change history of a review and its parts,
    and its addenda (written after approval)."""
    from django.contrib.auth import get_user_model

    records = {
        "review": list(Review.history.filter(id=review.pk).select_related("history_user")),
        "inputs": list(ReviewInput.history.filter(review_id=review.pk).select_related("history_user")),
        "attainment": list(Attainment.history.filter(review_id=review.pk).select_related("history_user")),
        "findings": list(Finding.history.filter(review_id=review.pk).select_related("history_user")),
        "actions": list(ReviewAction.history.filter(review_id=review.pk).select_related("history_user")),
        "addenda": list(Addendum.history.filter(review_id=review.pk).select_related("history_user")),
    }
    user_fields = {"author", "last_editor", "approved_by", "reviewer", "owner", "done_by", "closed_by"}
    user_ids = {
        getattr(r, f"{name}_id")
        for rows in records.values()
        for r in rows
        for name in user_fields
        if getattr(r, f"{name}_id", None)
    }
    describe = Describer(users=get_user_model().objects.in_bulk(user_ids), user_fields=user_fields)
    changes = change_entries(
        [
            (records["review"], lambda r: _("Review")),
            (records["inputs"], lambda r: _("Input “%(key)s”") % {"key": r.key}),
            (records["attainment"], lambda r: _("Attainment of %(code)s") % {"code": r.objective_code}),
            (records["findings"], lambda r: _("Finding %(number)s") % {"number": r.number}),
            (records["actions"], lambda r: _("Action “%(text)s”") % {"text": r.description[:60]}),
            (records["addenda"], lambda r: _("Addendum")),
        ],
        describe=describe,
    )
    return {
        "title": review.title,
        "content_hash": review.content_hash,
        "facts": [
            (_("Review"), review.title),
            (_("Kind of review"), review.get_kind_display()),
            (_("Status"), review.get_status_display()),
        ],
        "decisions": list(timeline(review)),
        "changes": changes,
        "tables": [
            {
                "title": _("Addenda"),
                "columns": [_("Written"), _("By"), _("Text")],
                "rows": [
                    [a.written_at, str(a.author), a.text]
                    for a in review.addenda.select_related("author").order_by("written_at", "pk")
                ],
                "empty": _("No addenda."),
            }
        ],
    }


def finding_trail(finding):
    from django.contrib.auth import get_user_model

    rows = list(Finding.history.filter(id=finding.pk).select_related("history_user"))
    user_ids = {r.closed_by_id for r in rows if r.closed_by_id}
    describe = Describer(users=get_user_model().objects.in_bulk(user_ids), user_fields={"closed_by"})
    return {
        "title": _("Finding %(code)s of “%(review)s”")
        % {"code": finding.code, "review": finding.review.title},
        "facts": [
            (_("Finding"), finding.code),
            (_("Grade"), finding.get_grade_display()),
            (_("Clause"), finding.clause or "—"),
            (_("Process"), finding.process.name if finding.process_id else "—"),
            (_("Status"), finding.get_status_display()),
            (_("Review"), finding.review.title),
        ],
        "decisions": list(timeline(finding)),
        "changes": change_entries(
            [(rows, lambda r: _("Finding %(code)s") % {"code": finding.code})], describe=describe
        ),
    }


# -- a panel on the dashboard ---------------------------------------------------------------------


def reports_panel(user, context):
    """C7: auditors and managers find the reports on their dashboard: the
    decision-log export and the latest approved reviews' reports."""
    if not reports.exports_everything(user):
        return
    latest = list(
        Review.objects.filter(status=Status.APPROVED)
        .only("pk", "title", "approved_at")
        .order_by("-approved_at", "-pk")[:4]
    )
    context["panels"].append(
        {
            "title": _("Reports for auditors"),
            "items": [
                {
                    "label": _("Export the decision log (CSV, XLSX)"),
                    "url": reverse("reports:index"),
                },
                *(
                    {
                        "label": _("Report: %(review)s") % {"review": review.title},
                        "url": reverse("reports:document", args=["reviews.review", review.pk]),
                        "meta": _("approved review (PDF)"),
                    }
                    for review in latest
                ),
            ],
            "more_url": reverse("reports:index"),
            "empty": "",
        }
    )


def register():
    """Called from reviews/apps.py."""
    reports.register_report(
        reports.Report(
            name="reviews.review",
            label=gettext_lazy("Review report (PDF)"),
            template="reports/review.html",
            build=review_report,
            queryset=review_queryset,
            visible=visible_reviews,
            refusal=review_export_refusal,
            title=lambda review: _("Review report: %(title)s") % {"title": review.title},
            filename=review_filename,
            issued_state=review_issued_state,
            issued=approved_reviews,
        )
    )
    reports.register_record(
        reports.Record(
            name="reviews.review",
            label=gettext_lazy("Review"),
            queryset=review_queryset,
            visible=visible_reviews,
            refusal=review_trail_refusal,
            trail=review_trail,
            title=lambda review: review.title,
            filename=lambda review: f"review-{review.pk}",
        )
    )
    reports.register_record(
        reports.Record(
            name="reviews.finding",
            label=gettext_lazy("Finding"),
            queryset=lambda: Finding.objects.select_related("review__plan__process", "process"),
            visible=visible_findings,
            refusal=finding_trail_refusal,
            trail=finding_trail,
            title=lambda finding: _("Finding %(code)s") % {"code": finding.code},
            filename=lambda finding: f"finding-{finding.review_id}-{finding.number}",
        )
    )

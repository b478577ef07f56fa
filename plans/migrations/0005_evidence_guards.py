"""Approved versions get their canonical content stored, then the database
refuses to change approved versions, their content and acknowledgements.

The canonical content is computed here as `PlanVersion.canonical_content()`
and `approval_content()` computed it when this migration was written (frozen:
historical models have no methods), so that versions approved before it can be
verified like the ones approved after it."""

import hashlib
import json

from django.db import migrations

from pdca.guards import frozen_part_guard, frozen_record_guard, once_set_guard
from plans.sections import PROCESS_SECTIONS, SMP_SECTIONS

APPROVED = ["approved", "communicated", "superseded"]


def _person(user):
    if user is None:
        return None
    name = f"{user.first_name} {user.last_name}".strip() or user.username
    return {"id": user.pk, "name": name}


def store_approved_content(apps, schema_editor):
    PlanVersion = apps.get_model("plans", "PlanVersion")
    for version in PlanVersion._base_manager.filter(status__in=APPROVED, approved_content__isnull=True).select_related(
        "plan__process", "conforms_to", "author", "approved_by", "reviewed_by"
    ):
        plan = version.plan
        definitions = SMP_SECTIONS if plan.kind == "smp" else PROCESS_SECTIONS
        objectives = []
        for objective in version.objectives.select_related("traces_to"):
            objectives.append(
                {
                    "code": objective.code,
                    "title": objective.title,
                    "description": objective.description,
                    "traces_to": objective.traces_to.code if objective.traces_to_id else None,
                    "kpis": [
                        {
                            "metric": k.metric,
                            "unit": k.unit,
                            "direction": k.direction,
                            "target": str(k.target),
                            "owner": _person(k.owner),
                            "frequency": k.frequency,
                        }
                        for k in objective.kpis.select_related("owner").order_by("pk")
                    ],
                }
            )
        content = {
            "plan": {
                "id": plan.pk,
                "kind": plan.kind,
                "process": {"id": plan.process_id, "name": plan.process.name} if plan.process_id else None,
            },
            "title": version.title,
            "number": version.number,
            "conforms_to": (
                {"plan": version.conforms_to.plan_id, "number": version.conforms_to.number}
                if version.conforms_to_id
                else None
            ),
            "sections": {key: version.sections.get(key, "") for key, *_ in definitions},
            "objectives": sorted(objectives, key=lambda o: o["code"]),
            "responsibilities": sorted(
                ({"kind": r.kind, "user": _person(r.user)} for r in version.responsibilities.select_related("user")),
                key=lambda r: (r["kind"], r["user"]["id"]),
            ),
            "reviewer_may_approve": version.reviewer_may_approve,
            "review": (
                {"by": _person(version.reviewed_by), "at": version.reviewed_at.isoformat()}
                if version.reviewed_at
                else None
            ),
            "author": _person(version.author),
            "approval": {"by": _person(version.approved_by), "at": version.approved_at.isoformat()},
        }
        payload = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        # The base manager: a plain queryset, also when a test runs this with the real model.
        PlanVersion._base_manager.filter(pk=version.pk).update(
            approved_content=content, content_hash=hashlib.sha256(payload).hexdigest()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_review_step"),
    ]

    operations = [
        migrations.RunPython(store_approved_content, migrations.RunPython.noop),
        *frozen_record_guard(
            table="plans_planversion",
            state="status",
            editable=["draft"],
            approved=APPROVED,
            transitions=[
                ("in_review", "draft"),
                ("in_review", "reviewed"),
                ("reviewed", "draft"),
                ("reviewed", "approved"),
                ("approved", "communicated"),
                ("approved", "superseded"),
                ("communicated", "superseded"),
            ],
            after_approval=["communicated_at", "superseded_at"],
            content=["title", "sections", "conforms_to_id", "reviewer_may_approve"],
            columns=[
                "id",
                "author_id",
                "last_editor_id",
                "edited_at",
                "revision",
                "approved_at",
                "approved_by_id",
                "approved_content",
                "content_hash",
                "plan_id",
                "number",
                "status",
                "title",
                "sections",
                "conforms_to_id",
                "reviewer_may_approve",
                "submitted_at",
                "reviewed_at",
                "reviewed_by_id",
                "communicated_at",
                "superseded_at",
            ],
        ),
        *frozen_part_guard(
            table="plans_objective",
            document_table="plans_planversion",
            document_column="version_id",
            state="status",
            editable=["draft"],
        ),
        *frozen_part_guard(
            table="plans_responsibility",
            document_table="plans_planversion",
            document_column="version_id",
            state="status",
            editable=["draft"],
        ),
        *frozen_part_guard(
            table="plans_kpi",
            document_table="plans_planversion",
            document_column="version_id",
            state="status",
            editable=["draft"],
            via=("plans_objective", "objective_id"),
        ),
        *once_set_guard(table="plans_acknowledgement", column="acknowledged_at"),
    ]

"""The database refuses to change a submitted or approved review beyond its
transitions, the parts of a frozen review (but for a finding's closure and an
action's progress), and any addendum once written."""

from django.db import migrations

from pdca.guards import append_only_guard, frozen_part_guard, frozen_record_guard

EDITABLE = ["planned", "in_progress"]


def part(table, **kwargs):
    return frozen_part_guard(
        table=table,
        document_table="reviews_review",
        document_column="review_id",
        state="status",
        editable=EDITABLE,
        **kwargs,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_check"),
    ]

    operations = [
        *frozen_record_guard(
            table="reviews_review",
            state="status",
            editable=EDITABLE,
            approved=["approved"],
            transitions=[("submitted", "in_progress"), ("submitted", "approved")],
            after_approval=[],
            content=[
                "kind",
                "title",
                "plan_id",
                "version_id",
                "planned_on",
                "held_on",
                "period_start",
                "period_end",
                "reviewer_id",
                "decisions",
                "minutes",
            ],
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
                "kind",
                "title",
                "status",
                "plan_id",
                "version_id",
                "schedule_id",
                "planned_on",
                "held_on",
                "period_start",
                "period_end",
                "reviewer_id",
                "decisions",
                "minutes",
                "started_at",
                "submitted_at",
            ],
        ),
        *part("reviews_reviewinput"),
        *part("reviews_attainment"),
        *part(
            "reviews_finding",
            updatable=["status", "closed_at", "closed_by_id", "closure_note"],
            columns=[
                "id",
                "review_id",
                "number",
                "grade",
                "clause",
                "process_id",
                "description",
                "evidence",
                "status",
                "raised_at",
                "closed_at",
                "closed_by_id",
                "closure_note",
                "reference",
            ],
        ),
        *part(
            "reviews_reviewaction",
            updatable=["status", "done_on", "done_by_id", "done_note"],
            columns=["id", "review_id", "description", "owner_id", "due_on", "status", "done_on", "done_by_id", "done_note"],
        ),
        *part("reviews_review_participants"),
        *part("reviews_review_processes"),
        *append_only_guard(table="reviews_addendum"),
    ]

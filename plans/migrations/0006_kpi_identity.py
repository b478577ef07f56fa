"""C1: a KPI keeps its identity across versions (`key`), so that its
measurements stay with it when the plan is revised. KPIs already copied from
version to version get one key per plan, objective code and metric."""

import uuid

from django.db import migrations, models

from pdca.guards import frozen_part_guard, lifted


def give_keys(apps, schema_editor):
    Kpi = apps.get_model("plans", "Kpi")
    keys = {}
    for kpi in Kpi.objects.select_related("objective__version").order_by("objective__version__number", "pk"):
        lineage = (kpi.objective.version.plan_id, kpi.objective.code, kpi.metric)
        key = keys.setdefault(lineage, uuid.uuid4())
        Kpi.objects.filter(pk=kpi.pk).update(key=key)


KPI_GUARD = frozen_part_guard(
    table="plans_kpi",
    document_table="plans_planversion",
    document_column="version_id",
    state="status",
    editable=["draft"],
    via=("plans_objective", "objective_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0005_evidence_guards"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalkpi",
            name="key",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
        *lifted(
            KPI_GUARD,
            migrations.AddField(
                model_name="kpi",
                name="key",
                field=models.UUIDField(null=True, editable=False),
            ),
            migrations.RunPython(give_keys, migrations.RunPython.noop),
            migrations.AlterField(
                model_name="kpi",
                name="key",
                field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
            ),
        ),
    ]

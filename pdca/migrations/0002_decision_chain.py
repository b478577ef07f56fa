import hashlib
import json
from datetime import UTC

from django.db import migrations, models

GENESIS_HASH = "0" * 64


def chain_existing_decisions(apps, schema_editor):
    """Link the decisions recorded so far into the chain, oldest first (the
    hash as pdca.decisions.row_hash computes it, frozen here)."""
    Decision = apps.get_model("pdca", "Decision")
    DecisionChainHead = apps.get_model("pdca", "DecisionChainHead")
    ContentType = apps.get_model("contenttypes", "ContentType")
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    prev = GENESIS_HASH
    sequence = 0
    for decision in Decision.objects.order_by("at", "pk"):
        sequence += 1
        fields = {
            "sequence": sequence,
            "subject": f"{labels[decision.content_type_id]}:{decision.object_id}",
            "action": decision.action,
            "actor": decision.actor_id,
            "at": decision.at.astimezone(UTC).isoformat(),
            "comment": decision.comment,
            "from_state": decision.from_state,
            "to_state": decision.to_state,
            "prev_hash": prev,
        }
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        row = hashlib.sha256(payload).hexdigest()
        Decision.objects.filter(pk=decision.pk).update(sequence=sequence, prev_hash=prev, row_hash=row)
        prev = row
    DecisionChainHead.objects.update_or_create(pk=1, defaults={"sequence": sequence, "hash": prev})


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pdca", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DecisionChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS_HASH, max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name="decision",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="decision",
            name="prev_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="decision",
            name="row_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(chain_existing_decisions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="decision",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.AlterField(
            model_name="decision",
            name="prev_hash",
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name="decision",
            name="row_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]

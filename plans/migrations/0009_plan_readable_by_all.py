from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_communicated_plans(apps, schema_editor):
    """Everybody reads the plans that have a communicated version already."""
    Plan = apps.get_model("plans", "Plan")
    PlanVersion = apps.get_model("plans", "PlanVersion")
    communicated = PlanVersion.objects.filter(plan=OuterRef("pk"), communicated_at__isnull=False)
    Plan.objects.filter(Exists(communicated)).update(readable_by_all=True)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0008_plan_archive"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="readable_by_all",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_communicated_plans, migrations.RunPython.noop),
    ]

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_readable_improvements(apps, schema_editor):
    """Everybody reads the improvements linked to a process whose plan has been communicated."""
    Improvement = apps.get_model("improvements", "Improvement")
    readable = Improvement.processes.through.objects.filter(
        improvement=OuterRef("pk"), process__plan__readable_by_all=True
    )
    Improvement.objects.filter(Exists(readable)).update(readable_by_all=True)


class Migration(migrations.Migration):
    dependencies = [
        ("improvements", "0002_register_visibility_index"),
        ("plans", "0009_plan_readable_by_all"),
        ("reviews", "0004_list_and_register_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="improvement",
            name="improvement_visible_idx",
        ),
        migrations.AddField(
            model_name="improvement",
            name="readable_by_all",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="improvement",
            index=models.Index(
                fields=["readable_by_all", "owner", "raised_by", "status", "required_by", "id"],
                name="improvement_readable_idx",
            ),
        ),
        migrations.RunPython(mark_readable_improvements, migrations.RunPython.noop),
    ]

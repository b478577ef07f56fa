"""The database refuses to change (and, on PostgreSQL, to delete) a decision record."""

from django.db import migrations

from pdca.guards import append_only_guard


class Migration(migrations.Migration):
    dependencies = [
        ("pdca", "0003_verification_run"),
    ]

    operations = [*append_only_guard(table="pdca_decision")]

from django.db import migrations

ROLES = ["Administrator", "Manager", "Process owner", "CSI owner", "Auditor", "Staff"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    """The six roles of DESIGN.md as groups; accounts.roles.sync_roles gives them
    their model permissions after every migrate."""

    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, remove_roles)]

"""Leads may edit judge configs in the admin and see jobs, calls and the cache there (staff leads only reach it)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEAD_PERMISSIONS = [
    "add_judgeconfig", "change_judgeconfig", "view_judgeconfig",
    "view_judgejob", "view_judgecall", "view_judgecacheentry", "view_verdict", "view_verdictscore",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("judging")
    app_config.models_module = True  # permissions are made after migrations; make them now
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    lead, _ = Group.objects.get_or_create(name="lead")
    lead.permissions.add(*Permission.objects.filter(content_type__app_label="judging", codename__in=LEAD_PERMISSIONS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for lead in Group.objects.filter(name="lead"):
        lead.permissions.remove(*Permission.objects.filter(content_type__app_label="judging",
                                                           codename__in=LEAD_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("judging", "0004_failed_verdicts_have_no_scores"),
        ("annotation", "0003_builtin_rubrics_and_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

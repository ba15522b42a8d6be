from django.db import migrations

from annotation.rubric_definitions import builtin_definitions

ROLES = ("lead", "annotator", "researcher")


def create_builtin_rubrics(apps, schema_editor):
    Rubric = apps.get_model("annotation", "Rubric")
    RubricAxis = apps.get_model("annotation", "RubricAxis")
    for definition in builtin_definitions():
        rubric, created = Rubric.objects.get_or_create(
            key=definition.key,
            defaults={
                "name": definition.name,
                "kind": definition.kind,
                "description": definition.description_ja,  # one field then; 0012 adds the English one
                "verdicts": list(definition.verdicts),
                "is_builtin": True,
            },
        )
        if not created:
            continue
        RubricAxis.objects.bulk_create(
            RubricAxis(
                rubric=rubric,
                key=axis.key,
                position=position,
                label_ja=axis.label_ja,
                label_en=axis.label_en,
                criterion_ja=axis.criterion_ja,
                criterion_en=axis.criterion_en,
                min_score=axis.min_score,
                max_score=axis.max_score,
                points=axis.points,
            )
            for position, axis in enumerate(definition.axes)
        )


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("annotation", "0002_score_range_trigger"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(create_builtin_rubrics, migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]

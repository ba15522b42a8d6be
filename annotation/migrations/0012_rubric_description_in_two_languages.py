from django.db import migrations, models

from annotation.rubric_definitions import builtin_definitions


def split_descriptions(apps, schema_editor):
    """A rubric's one description stood for both languages (as a plain text does in a definition); the built-in
    rubrics get their Japanese and English texts apart, as annotation/rubrics/ now gives them."""
    Rubric = apps.get_model("annotation", "Rubric")
    Rubric.objects.update(description_en=models.F("description_ja"))
    for definition in builtin_definitions():
        Rubric.objects.filter(key=definition.key, is_builtin=True).update(
            description_ja=definition.description_ja, description_en=definition.description_en
        )


class Migration(migrations.Migration):
    dependencies = [("annotation", "0011_ratingcheck_side")]

    operations = [
        migrations.RenameField("rubric", "description", "description_ja"),
        migrations.AlterField(
            "rubric", "description_ja", models.TextField(blank=True, verbose_name="description (Japanese)")
        ),
        migrations.AddField(
            "rubric", "description_en", models.TextField(blank=True, verbose_name="description (English)")
        ),
        migrations.RunPython(split_descriptions, migrations.RunPython.noop),
    ]

from django.db import migrations

from annotation.score_checks import score_range_trigger


class Migration(migrations.Migration):
    dependencies = [("annotation", "0001_initial")]

    operations = [score_range_trigger("annotation_ratingscore")]

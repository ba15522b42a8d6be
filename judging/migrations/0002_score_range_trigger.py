from django.db import migrations

from annotation.score_checks import score_range_trigger


class Migration(migrations.Migration):
    dependencies = [("judging", "0001_initial"), ("annotation", "0002_score_range_trigger")]

    operations = [score_range_trigger("judging_verdictscore")]

"""A judge failure is never a score: refuse VerdictScore rows on verdicts whose status is a failure."""

from django.db import migrations

from judging.scored_verdicts import failed_verdicts_have_no_scores


class Migration(migrations.Migration):
    dependencies = [("judging", "0003_judge_jobs")]

    operations = [failed_verdicts_have_no_scores()]

from importlib import import_module

from django.db import migrations

# The same step as 0003, which creates each built-in rubric that is missing: here the two pairwise ones.
create_builtin_rubrics = import_module("annotation.migrations.0003_builtin_rubrics_and_roles").create_builtin_rubrics


class Migration(migrations.Migration):
    dependencies = [("annotation", "0009_slot_tally")]

    operations = [migrations.RunPython(create_builtin_rubrics, migrations.RunPython.noop)]

# The slot tally's triggers, installed again: on SQLite, 0021's new ItemSlot field and constraint rebuild the
# table (create, copy, drop, rename), which drops the triggers 0009 put on it, so progress stopped counting.
# Idempotent: the tally is counted afresh from the slots, and PostgreSQL's triggers are replaced in place.

from django.db import migrations

from annotation.slot_tally import slot_tally_triggers


class Migration(migrations.Migration):

    dependencies = [
        ('annotation', '0021_adjudication'),
    ]

    operations = [
        slot_tally_triggers(),
    ]

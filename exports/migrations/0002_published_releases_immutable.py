"""A published release never changes: triggers on releases, their files and their campaigns (see
exports.release_immutability)."""

from django.db import migrations

from exports.release_immutability import published_releases_immutable


class Migration(migrations.Migration):
    dependencies = [("exports", "0001_initial")]

    operations = [published_releases_immutable()]

"""`manage.py release`: builds synchronously, publishes with --publish, last line is the folder; errors are
one line and exit status 1."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from exports.models import Release
from tests.exports.release_factories import rated_campaign, few_bootstrap_replicates  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.django_db


def test_the_command_builds_and_publishes_and_prints_the_folder_last(capsys, releases_root):
    campaign = rated_campaign()
    call_command("release", "--campaign", campaign.slug, "--version", "1.2.0", "--publish", "--title", "命令")
    lines = capsys.readouterr().out.strip().splitlines()
    folder = Path(lines[-1])
    assert folder == releases_root / campaign.slug / "1.2.0"
    assert (folder / "SHA256SUMS").exists() and "published" in lines[-2]
    release = Release.objects.get()
    assert (release.status, release.title) == ("published", "命令")


@pytest.mark.parametrize("arguments, message", [
    (["--campaign", "jp-release", "--version", "1.0"], "not a semantic version"),
    (["--campaign", "nope", "--version", "1.0.0"], "no campaign nope"),
])
def test_errors_are_one_line(arguments, message):
    rated_campaign()
    with pytest.raises(CommandError, match=message):
        call_command("release", *arguments)


def test_from_the_shell_an_error_exits_1_with_one_line():
    done = subprocess.run([sys.executable, "manage.py", "release", "--campaign", "nowhere", "--version", "1.0.0"],
                          cwd=settings.BASE_DIR, env={**os.environ, "DATABASE_URL": database_url()},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.strip() == "no campaign nowhere"


def database_url():
    """The test database, for a command run as a subprocess (it sees no uncommitted test data)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"

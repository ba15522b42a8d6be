import os

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User

from annotation.models import Annotator, Campaign, Rubric

# bin/test runs the suite in several processes (pytest-xdist: gw0, gw1, ...), each with a test database of its
# own (pytest-django names them) and a folder of its own (hyoka.settings puts VAR_DIR in a subfolder named after
# the process). The processes a test starts get that folder as HYOKA_VAR_DIR, and no process name, so that a
# folder a test gives them is used as given. The Celery tests' Redis database is the process's own too: one
# process's workers must never take the other's tasks. Set here, before the test modules read them.
_PROCESS = os.environ.pop("PYTEST_XDIST_WORKER", "")
if _PROCESS.startswith("gw"):
    os.environ["HYOKA_VAR_DIR"] = str(django_settings.VAR_DIR)
    if os.environ.get("HYOKA_TEST_REDIS_URL"):
        _base, _, _number = os.environ["HYOKA_TEST_REDIS_URL"].rpartition("/")
        os.environ["HYOKA_TEST_REDIS_URL"] = f"{_base}/{int(_number) - int(_PROCESS[2:])}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The benches' smoke runs first: they take minutes in processes of their own and touch no test database, so
    started first they overlap the rest of the suite (pytest-django has put the tests in its order already)."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != "tests/test_benches.py")


def make_user(username, role):
    user = User.objects.create_user(username=username, password=f"{username}-password", email=f"{username}@example.org")
    user.groups.add(Group.objects.get(name=role))
    if role == "annotator":
        Annotator.objects.create(user=user, handle=username, tier=Annotator.Tier.GRADUATE)
    return user


@pytest.fixture
def lead(db):
    return make_user("lena", "lead")


@pytest.fixture
def annotator(db):
    return make_user("alice", "annotator")


@pytest.fixture
def other_annotator(db):
    return make_user("bob", "annotator")


@pytest.fixture
def researcher(db):
    return make_user("rita", "researcher")


@pytest.fixture
def quality_rubric(db):
    return Rubric.objects.get(key="quality-5x5")


@pytest.fixture
def campaign(db, quality_rubric, lead):
    return Campaign.objects.create(slug="jp-quality", name="日本語品質評価", rubric=quality_rubric, created_by=lead)


@pytest.fixture
def releases_root(settings, tmp_path):
    """Releases a test builds go to its own folder (returned), not the process's: their files and checksums are
    the test's to read, and no other test's release shares its name and version there."""
    settings.RELEASES_ROOT = tmp_path / "releases"
    return settings.RELEASES_ROOT


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Test users sign in often; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def celery_eager(monkeypatch):
    """Celery tasks run in the calling thread. Set on the app's configuration, not in Django's settings: the app
    reads CELERY_* settings once, when a test first uses it, so a later change there would be ignored."""
    from hyoka.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)

import pytest


@pytest.fixture(autouse=True)
def releases_in_the_tests_folder(releases_root):
    """Every test of releases and reports builds its releases in its own folder (tests.conftest.releases_root)."""

"""The campaign-kind seam: every kind has a module in every app that has a kinds package, each defining the
names of its app's CONTRACT, and every rubric kind the models allow has one."""

import importlib

import pytest

from annotation.models import Rubric

APPS = ("annotation", "judging", "exports")


@pytest.mark.parametrize("app", APPS)
def test_every_rubric_kind_has_a_module_defining_the_contract(app):
    kinds = importlib.import_module(f"{app}.kinds")

    assert sorted(kinds.KINDS) == sorted(Rubric.Kind.values)
    missing = {name: [attr for attr in kinds.CONTRACT if not hasattr(module, attr)]
               for name, module in kinds.KINDS.items()}
    assert missing == {name: [] for name in kinds.KINDS}


@pytest.mark.parametrize("app", APPS)
def test_an_unknown_kind_is_a_clear_error(app):
    kinds = importlib.import_module(f"{app}.kinds")

    with pytest.raises(LookupError, match="no campaign kind 'essay'; known: likert, pairwise, exam"):
        kinds.for_name("essay")

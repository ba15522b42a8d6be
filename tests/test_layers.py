"""The layering the design asks for, read from the source: annotation imports neither judging nor exports,
judging does not import exports, the selectors do not import the reports layer, and the statistics modules
(and what they import of the project) import no Django."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PURE = ("annotation/agreement.py", "annotation/ranking.py", "annotation/rater_counts.py",
        "annotation/scored_verdicts.py", "judging/meta_eval.py", "judging/position_bias.py",
        "judging/pair_votes.py", "judging/leaderboard.py", "judging/lengths.py",
        "exports/checklist_stats.py", "exports/tier_stats.py", "annotation/exam_answers.py", "annotation/exam_figures.py",
        "judging/exam_prompt.py", "annotation/trajectory.py", "annotation/trajectory_rule.py")
APPS = ("annotation", "judging", "exports", "hyoka")


def imported(path):
    """The modules a source file imports (absolute names; relative ones resolved against its package)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def sources(app):
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("app, forbidden", [("annotation", ("judging", "exports")), ("judging", ("exports",))])
def test_a_lower_app_never_imports_a_higher_one(app, forbidden):
    found = {str(path.relative_to(ROOT)): sorted(name for name in imported(path) if name.split(".")[0] in forbidden)
             for path in sources(app)}
    assert {path: names for path, names in found.items() if names} == {}


def test_selectors_return_data_and_do_not_reach_into_the_reports_layer():
    selectors = [path for app in ("annotation", "judging", "exports") for path in sources(app)
                 if path.name.endswith("selectors.py")]
    assert {str(path.relative_to(ROOT)): sorted(name for name in imported(path) if name.startswith("exports.reports"))
            for path in selectors} == {str(path.relative_to(ROOT)): [] for path in selectors}


def project_file(name):
    """The source file of a project module named `name` (or of the module holding the name imported), or None."""
    parts = name.split(".")
    for end in (len(parts), len(parts) - 1):
        for candidate in (ROOT.joinpath(*parts[:end]).with_suffix(".py"), ROOT.joinpath(*parts[:end], "__init__.py")):
            if end and candidate.is_file():
                return candidate
    return None


def test_the_statistics_modules_and_what_they_import_of_the_project_import_no_django():
    seen, todo = set(), [ROOT / path for path in PURE]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        names = imported(path)
        assert not any(name.split(".")[0] in ("django", "rest_framework") for name in names), path
        todo += [found for name in names if name.split(".")[0] in APPS and (found := project_file(name))]
    assert ROOT / "annotation/verdict_options.py" in seen  # reached through annotation.ranking

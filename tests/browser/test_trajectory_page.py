"""A lead reads a model series' trajectories in real Chromium: the small multiples of every task, the table of
measures with each task's type (three tasks built to be gradual, two-stage and late-onset), and the flip rates
of a task with per-example outcomes; the screenshot is the one the README shows."""

import json

import numpy as np
import pytest

from annotation.services.checkpoint_imports import checkpoint_scores_import

from .pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

STEPS = [1000 * (index + 1) for index in range(12)]
# Over 12 checkpoints (positions 0, 1/11, ..., 1): a steady rise; an early jump, a plateau, a later rise; flat
# near chance until two thirds of training, then a rise.
SHAPES = {
    "jcommonsenseqa": [0.20 + 0.05 * index for index in range(12)],
    "jnli": [0.30, 0.45, 0.55, 0.56, 0.56, 0.57, 0.57, 0.57, 0.65, 0.72, 0.78, 0.80],
    "jsquad": [0.01, 0.01, 0.02, 0.01, 0.02, 0.02, 0.01, 0.02, 0.10, 0.30, 0.50, 0.62],
}
TYPES = {"jcommonsenseqa": "gradual", "jnli": "two-stage", "jsquad": "late-onset"}


def long_table(path):
    rng = np.random.default_rng(7)
    records = [{"step": step, "tokens": step * 4_000_000, "task": task, "category": "NLU", "metric": "acc",
                "score": score} for task, scores in SHAPES.items() for step, score in zip(STEPS, scores)]
    # Per-example outcomes of one more task: each of 40 examples right with a chance rising over training.
    records += [{"step": step, "task": "jemhopqa", "category": "QA", "example_id": f"q{example}",
                 "correct": bool(rng.random() < 0.2 + 0.05 * index)}
                for index, step in enumerate(STEPS) for example in range(40)]
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return str(path)


def test_a_lead_reads_a_series_trajectories(live_server, browser_page, lead, tmp_path, artifacts):
    checkpoint_scores_import(paths=[long_table(tmp_path / "scores.jsonl")], series_name="llm-jp-3-1-8b",
                             family="llm-jp-3", size="1.8B")
    page = browser_page
    url = "/series/llm-jp-3-1-8b/trajectory/"
    sign_in(page, live_server, "lena", url)

    assert page.inner_text('[data-count="checkpoints"]') == "12"
    for task, kind in TYPES.items():
        row = page.locator(f'[data-table="trajectories"] tr[data-task="{task}"][data-source="imported"]')
        assert row.locator("[data-type]").get_attribute("data-type") == kind, task
    outcomes = page.locator('[data-table="trajectories"] tr[data-task="jemhopqa"][data-source="outcomes"]')
    flips_raw = float(outcomes.locator('[data-stat="flips-raw"]').inner_text())
    flips_voted = float(outcomes.locator('[data-stat="flips-voted"]').inner_text())
    assert 0 < flips_voted < flips_raw  # majority voting over adjacent checkpoints steadies the outcomes
    charts = page.locator('[data-charts="small-multiples"] svg')
    assert charts.count() >= len(SHAPES) and charts.first.bounding_box()["width"] > 100
    page.screenshot(path=str(artifacts / "trajectory-page.png"), full_page=True)
    top = page.locator('[data-charts="small-multiples"]').bounding_box()
    page.screenshot(path=str(artifacts / "trajectory-page-top.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1440, "height": top["y"] + top["height"] + 24})

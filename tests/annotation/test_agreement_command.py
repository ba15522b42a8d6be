"""The `agreement` command: a table per axis for people, one JSON object keyed by axis for scripts."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from annotation import agreement
from annotation.agreement_selectors import campaign_ratings
from annotation.models import Item, Rating
from tests.exports.pairwise_factories import SLUG, pairwise_campaign, vote_records, voted_campaign  # noqa: F401
from tests.exports.report_factories import QUALITY_AXES, human_records, rated_campaign

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def run(*arguments):
    out = io.StringIO()
    call_command("agreement", *arguments, stdout=out)
    return out.getvalue()


@pytest.fixture
def campaign(tmp_path):
    return rated_campaign(tmp_path, prompts=10, judge=None)


def test_json_is_one_object_keyed_by_axis_with_the_run_in_meta(campaign):
    report = json.loads(run("--campaign", campaign.slug, "--json", "--replicates", "200", "--seed", "4"))

    assert list(report) == ["meta", *QUALITY_AXES]
    assert report["meta"]["n_items"] == 30
    assert {key: report["meta"][key] for key in ("campaign", "rubric", "level", "replicates", "seed", "normalised",
                                                  "n_scores", "n_annotators", "reason")} == {
        "campaign": campaign.slug, "rubric": "quality-5x5", "level": "ordinal", "replicates": 200, "seed": 4,
        "normalised": False, "n_scores": 300, "n_annotators": 3, "reason": None,
    }
    relevance = report["relevance"]
    assert relevance["n_items"] == 30 and relevance["n_pairable_items"] == 30 and relevance["n_ratings"] == 60
    assert relevance["alpha"]["low"] < relevance["alpha"]["value"] < relevance["alpha"]["high"]
    assert {row["annotator"] for row in relevance["annotators"]} == {"ayumi", "kenta", "sora"}


def test_json_numbers_are_those_of_the_statistics_core(campaign):
    report = json.loads(run("--campaign", campaign.slug, "--json", "--level", "interval", "--normalise",
                            "--replicates", "100"))
    core = agreement.agreement_report(campaign_ratings(campaign), level="interval", normalise=True, replicates=100)
    expected = next(axis for axis in core.as_dict()["axes"] if axis["axis"] == "overall")
    assert report["overall"] == json.loads(json.dumps(expected))
    assert report["meta"]["level"] == "interval" and report["meta"]["normalised"] is True


def test_an_axis_nobody_scored_is_listed_with_the_reason(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=4, judge=None, ratings=human_records(4, axes=("overall", "fluency")))
    report = json.loads(run("--campaign", campaign.slug, "--json", "--replicates", "0"))
    assert list(report) == ["meta", *QUALITY_AXES]
    assert report["detail"]["n_ratings"] == 0 and report["detail"]["alpha"]["reason"] == "no scores on this axis"
    assert report["overall"]["alpha"]["value"] is not None and report["overall"]["alpha"]["low"] is None


def test_the_table_shows_alpha_with_its_interval_agreement_and_kappa_per_axis(campaign):
    text = run("--campaign", campaign.slug, "--replicates", "100")
    report = json.loads(run("--campaign", campaign.slug, "--json", "--replicates", "100"))

    lines = text.splitlines()
    assert lines[0].startswith(f"Campaign {campaign.slug} (rubric quality-5x5): 30 items, 300 scores by 3 annotators.")
    header = next(line for line in lines if line.startswith("axis "))
    for column in ("alpha [interval]", "items", "exact", "within one", "kappa"):
        assert column in header
    alpha = report["fluency"]["alpha"]
    row = next(line for line in lines if line.startswith("fluency "))
    assert f"{alpha['value']:.3f} [{alpha['low']:.3f}, {alpha['high']:.3f}]" in row
    assert f"{report['fluency']['exact_agreement']['value']:.3f}" in row
    assert "fluency: annotators (alpha without them; correlation with the others' mean)" in text


def test_undefined_statistics_are_explained_under_the_table(tmp_path):
    records = [{"prompt_id": "q0", "model": model, "annotator": annotator, "scores": {"overall": 3}}
               for model in ("calm2-7b", "gpt-4o") for annotator in ("ayumi", "kenta")]
    campaign = rated_campaign(tmp_path, prompts=1, judge=None, ratings=records)
    text = run("--campaign", campaign.slug)
    assert "overall alpha: " + agreement.NO_VARIATION in text
    assert "relevance alpha: no scores on this axis" in text


@pytest.mark.parametrize("arguments, message", [
    (["--campaign", "nope"], "no campaign 'nope'"),
    (["--campaign", "jp-report", "--replicates", "-1"], "--replicates must be 0 or more"),
])
def test_errors_are_one_line(campaign, arguments, message):
    with pytest.raises(CommandError, match=message):
        run(*arguments)


def test_a_campaign_without_two_annotators_is_an_error(tmp_path):
    empty = rated_campaign(tmp_path, slug="empty", prompts=2, ratings=[], judge=None)
    with pytest.raises(CommandError, match="campaign empty has no ratings yet"):
        run("--campaign", empty.slug)
    alone = rated_campaign(tmp_path, slug="alone", prompts=2, judge=None,
                           ratings=human_records(2, annotators=("ayumi",), per_item=1))
    with pytest.raises(CommandError, match="only one annotator has rated in campaign alone"):
        run("--campaign", alone.slug)


def item_reliability_matrix(campaign):
    """annotators × items of the campaign's votes as the krippendorff package takes them (verdict index or
    NaN), built from the fixture's records: each vote turned into the item's terms by looking up which model
    the item puts first."""
    first_model = {(item.response.prompt.external_id, frozenset((item.response.model.name,
                                                                  item.response_b.model.name))):
                   item.response.model.name for item in Item.objects.filter(campaign=campaign)
                   .select_related("response__prompt", "response__model", "response_b__model")}
    cells = {}
    for record in vote_records():
        key = (record["prompt_id"], frozenset((record["model_a"], record["model_b"])))
        verdict = record["verdict"]
        if first_model[key] != record["model_a"]:
            verdict = {"A": "B", "B": "A"}.get(verdict, verdict)
        cells[record["annotator"], key] = ("A", "B", "tie").index(verdict)
    annotators, items = sorted({a for a, _ in cells}), list(dict.fromkeys(k for _, k in cells))
    return np.array([[cells.get((a, k), np.nan) for k in items] for a in annotators], dtype=float)


def test_a_pairwise_campaign_gets_nominal_alpha_over_its_verdicts(pairwise_campaign):
    report = json.loads(run("--campaign", SLUG, "--json", "--replicates", "200", "--seed", "2"))
    assert list(report) == ["meta", "verdict"]
    meta, verdict = report["meta"], report["verdict"]
    assert {key: meta[key] for key in ("kind", "verdicts", "level", "n_items", "n_votes", "n_annotators",
                                       "replicates", "seed", "reason")} == {
        "kind": "pairwise", "verdicts": ["A", "B", "tie"], "level": "nominal", "n_items": 18, "n_votes": 45,
        "n_annotators": 3, "replicates": 200, "seed": 2, "reason": None}
    expected = krippendorff.alpha(reliability_data=item_reliability_matrix(pairwise_campaign),
                                  level_of_measurement="nominal")
    assert verdict["alpha"]["value"] == pytest.approx(expected, abs=1e-12)
    assert verdict["alpha"]["low"] < verdict["alpha"]["value"] < verdict["alpha"]["high"]
    assert sum(verdict["verdict_counts"].values()) == 45 and verdict["n_pairable_items"] == 18
    assert {row["annotator"] for row in verdict["annotators"]} == {"v1", "v2", "v3"}
    assert sum(row["n_votes"] for row in verdict["annotators"]) == 45


def test_a_pairwise_campaign_as_a_table(pairwise_campaign):
    text = run("--campaign", SLUG, "--replicates", "50")
    assert "pairwise rubric pairwise-abt: A / B / tie" in text and "18 items, 45 votes by 3 annotators" in text
    assert "alpha without" in text and "v2" in text


@pytest.mark.parametrize("arguments, message", [
    (("--level", "ordinal"), "its verdicts are categories, so alpha is nominal"),
    (("--normalise",), "verdicts cannot be normalised"),
])
def test_a_pairwise_campaign_takes_only_nominal_alpha(pairwise_campaign, arguments, message):
    with pytest.raises(CommandError, match=message):
        run("--campaign", SLUG, *arguments)
    assert json.loads(run("--campaign", SLUG, "--level", "nominal", "--json", "--replicates", "0"))["meta"]["level"] \
        == "nominal"


def test_a_pairwise_campaign_without_votes_is_an_error(db, tmp_path):
    voted_campaign(tmp_path, judge=False)
    Rating.objects.all().delete()
    with pytest.raises(CommandError, match="campaign arena has no pairwise votes yet"):
        run("--campaign", SLUG)


def test_from_a_shell_an_unknown_campaign_exits_1_with_one_line():
    settings = connection.settings_dict
    url = (f"sqlite:///{settings['NAME']}" if connection.vendor == "sqlite"
           else f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}")
    result = subprocess.run([sys.executable, "manage.py", "agreement", "--campaign", "nope", "--skip-checks"],
                            cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stderr, result.stdout) == (1, "no campaign 'nope'\n", "")

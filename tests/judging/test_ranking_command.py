"""The ranking command: human votes and a judge's verdicts side by side, as tables or one JSON object."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotation.models import Item
from annotation.services import ratings_import, responses_import
from judging.models import JudgeConfig, Verdict
from judging.services import verdicts_import
from tests.annotation.test_pairwise_imports import BASE, CONTEXT, OTHER, answers, pairwise_rubric, vote
from tests.judging.test_imports import write_jsonl
from tests.judging.test_pairwise_verdict_imports import judged

PROMPTS = range(1, 7)


@pytest.fixture
def voted_campaign(db, tmp_path):
    """Three models on six prompts; CONTEXT mostly beats BASE, OTHER beats both; two annotators per pair."""
    pairwise_rubric(key="pairwise-abt", verdicts=("A", "B", "tie"))
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", answers(prompts=PROMPTS))),
                     campaign_slug="arena", rubric_key="pairwise-abt", pair=(CONTEXT, BASE))
    records = []
    for p in PROMPTS:
        records += [vote(f"q{p}", CONTEXT, BASE, "v1", "A" if p != 6 else "B"),
                    vote(f"q{p}", BASE, CONTEXT, "v2", "B" if p < 5 else "tie"),
                    vote(f"q{p}", OTHER, BASE, "v1", "A"), vote(f"q{p}", CONTEXT, OTHER, "v2", "B" if p > 1 else "A")]
    ratings_import(path=str(write_jsonl(tmp_path / "votes.jsonl", records)), campaign_slug="arena")
    return "arena"


@pytest.fixture
def judge_verdicts(voted_campaign, tmp_path):
    """The judge sees (CONTEXT, BASE) in both orders: consistent on q1-q4, split on q5-q6."""
    records = []
    for p in PROMPTS:
        records += [judged(f"q{p}", CONTEXT, BASE, "A", order="AB"),
                    judged(f"q{p}", CONTEXT, BASE, "A" if p < 5 else "B", order="BA")]
    verdicts_import(path=str(write_jsonl(tmp_path / "judge.jsonl", records)), campaign_slug="arena",
                    judge_name="gpt-4o-pair")
    return "gpt-4o-pair"


def run(*args):
    out = StringIO()
    call_command("ranking", *args, stdout=out)
    return out.getvalue()


def test_json_ranks_the_models_from_the_human_votes(voted_campaign):
    report = json.loads(run("--campaign", "arena", "--json", "--replicates", "200"))
    assert report["meta"] | {"n_human_votes": 24, "judge": None} == report["meta"]
    assert report["meta"]["verdicts"] == ["A", "B", "tie"] and report["meta"]["replicates"] == 200
    humans = report["humans"]
    assert [model["model"] for model in humans["models"]] == [OTHER, CONTEXT, BASE]
    other = humans["models"][0]
    assert (other["wins"], other["losses"], other["ties"], other["win_rate"]) == (11, 1, 0, pytest.approx(11 / 12))
    assert other["rank"] == 1 and other["rating"]["low"] < other["rating"]["value"] < other["rating"]["high"]
    assert "judge" not in report and "agreement" not in report


def test_the_table_shows_ranks_ratings_and_rates(voted_campaign):
    text = run("--campaign", "arena", "--replicates", "100")
    assert text.startswith("Campaign arena (rubric pairwise-abt: A / B / tie): 24 human votes.")
    header = next(line for line in text.splitlines() if line.startswith("model"))
    assert header.split() == ["model", "rank", "rating", "[interval]", "votes", "win", "tie", "loss"]
    other_row = next(line for line in text.splitlines() if line.startswith(f"{OTHER} "))
    assert other_row.split()[1] == "1" and other_row.split()[-3:] == ["91.7%", "0.0%", "8.3%"]


def test_a_judge_side_by_side_with_agreement(voted_campaign, judge_verdicts):
    report = json.loads(run("--campaign", "arena", "--judge", judge_verdicts, "--json", "--replicates", "50"))
    meta = report["meta"]
    assert (meta["judge"], meta["judge_external"], meta["job"]) == ("gpt-4o-pair", True, None)
    assert (meta["n_judge_verdicts"], meta["n_judge_items"], meta["verdicts_by_status"]) == (12, 6, {"imported": 12})
    context = {m["model"]: m for m in report["judge"]["models"]}[CONTEXT]
    assert (context["wins"], context["ties"], context["losses"]) == (4, 2, 0)  # splits under swap are ties
    agreement = report["agreement"]
    # the pairs judged differently in the two orders (q5, q6) split their items' verdicts: ties
    assert (meta["inconsistent"], meta["n_pairs_both_orders"], meta["n_inconsistent_pairs"]) == ("tie", 6, 2)
    assert (agreement["n_items"], agreement["n_human_votes"], agreement["judge_split_items"]) == (6, 12, 2)
    # (CONTEXT, BASE) in item terms: v1 says A on q1-q5 and B on q6, v2 A on q1-q4 and tie on q5-q6; the judge
    # A on q1-q4 and tie on q5-q6: all 8 votes on q1-q4 agree, and v2's ties on q5-q6
    assert agreement["with_each_vote"]["n"] == 12
    assert agreement["with_each_vote"]["agreement"] == pytest.approx(10 / 12)
    assert agreement["with_each_vote_without_ties"]["agreement"] == 1.0

    text = run("--campaign", "arena", "--judge", judge_verdicts, "--replicates", "50")
    assert "Judge gpt-4o-pair (imported verdicts; verdicts: 12 imported): 12 verdicts on 6 items" in text
    assert "each vote, without ties" in text and f"{OTHER}: no votes" in text


def test_neither_votes_can_be_left_out(db, tmp_path):
    pairwise_rubric()
    responses_import(path=str(write_jsonl(tmp_path / "r.jsonl", answers())), campaign_slug="ctx",
                     rubric_key="context-abbn", pair=(CONTEXT, BASE))
    path = write_jsonl(tmp_path / "v.jsonl", [vote("q1", CONTEXT, BASE, "v1", "A"),
                                              vote("q2", CONTEXT, BASE, "v1", "B"),
                                              vote("q3", CONTEXT, BASE, "v1", "neither")])
    ratings_import(path=str(path), campaign_slug="ctx")
    dropped = json.loads(run("--campaign", "ctx", "--neither", "drop", "--json", "--replicates", "20"))
    assert (dropped["humans"]["n_votes"], dropped["humans"]["n_dropped"]) == (2, 1)
    assert "1 'neither' votes left out" in run("--campaign", "ctx", "--neither", "drop", "--replicates", "20")


@pytest.mark.parametrize("args, message", [
    (("--campaign", "nope"), "no campaign 'nope'"),
    (("--campaign", "likert"), "campaign likert uses the likert rubric quality-5x5: rankings need a pairwise"),
    (("--campaign", "empty"), "campaign empty has no pairwise votes yet"),
    (("--campaign", "arena", "--judge", "nobody"), "no judge 'nobody'"),
    (("--campaign", "arena", "--judge", "silent"),
     "judge silent has no pairwise verdicts in campaign arena (1 verdicts failed)"),
    (("--campaign", "arena", "--replicates", "-1"), "--replicates must be 0 or more"),
])
def test_errors_are_one_line(voted_campaign, tmp_path, args, message):
    responses_import(path=str(write_jsonl(tmp_path / "r.jsonl", answers(prompts=(1,)))), campaign_slug="likert")
    responses_import(path=str(write_jsonl(tmp_path / "r.jsonl", answers(prompts=(1,)))), campaign_slug="empty",
                     rubric_key="pairwise-abt", pair=(CONTEXT, BASE))
    silent = JudgeConfig.objects.create(name="silent", is_external=True)
    Verdict.objects.create(judge=silent, item=Item.objects.filter(campaign__slug="arena").first(),
                           parse_status=Verdict.ParseStatus.PARSE_ERROR)
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_pairs_judged_differently_in_the_two_orders_count_as_ties_or_are_left_out(judge_verdicts):
    def judge_side(*extra):
        report = json.loads(run("--campaign", "arena", "--judge", judge_verdicts, "--json", "--replicates", "50",
                                *extra))
        context = {m["model"]: m for m in report["judge"]["models"]}[CONTEXT]
        return report, (context["wins"], context["ties"], context["losses"])

    as_ties, record = judge_side()
    assert record == (4, 2, 0) and as_ties["meta"]["n_dropped_pairs"] == 0
    dropped, record = judge_side("--inconsistent", "drop")
    assert record == (4, 0, 0) and (dropped["meta"]["inconsistent"], dropped["meta"]["n_dropped_pairs"]) == ("drop", 2)
    assert dropped["meta"]["n_judge_items"] == 4 and dropped["agreement"]["n_items"] == 4
    assert dropped["judge"]["models"][0]["rating"]["value"] > as_ties["judge"]["models"][0]["rating"]["value"]

    JudgeConfig.objects.filter(name=judge_verdicts).update(inconsistent="drop")  # the judge's own setting
    assert judge_side()[1] == (4, 0, 0) and judge_side("--inconsistent", "tie")[1] == (4, 2, 0)


def test_the_judges_position_bias_is_reported(judge_verdicts):
    report = json.loads(run("--campaign", "arena", "--judge", judge_verdicts, "--json", "--replicates", "0"))
    bias = report["position_bias"]
    # AB: CONTEXT shown first wins q1-q6; BA: CONTEXT shown second wins q1-q4, BASE shown first wins q5-q6.
    # CONTEXT's answers are the longer ones and win 10 of the 12 verdicts.
    assert (bias["consistency"]["n"], bias["consistency"]["count"]) == (6, 4)
    assert (bias["first_position_wins"]["n"], bias["first_position_wins"]["count"]) == (12, 8)
    assert (bias["longer_wins"]["n"], bias["longer_wins"]["count"]) == (12, 10)
    text = run("--campaign", "arena", "--judge", judge_verdicts, "--replicates", "0")
    assert "Position bias (6 pairs judged in both orders; 2 inconsistent, counted as ties)" in text
    row = next(line for line in text.splitlines() if line.startswith("shown first won"))
    assert row.split()[-3:] == ["12", "8", "66.7%"]

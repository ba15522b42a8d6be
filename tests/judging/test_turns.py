"""MT-Bench per turn: a judge job grades turn 1 alone and turn 2 of each two-turn item, through the fake
OpenAI-compatible server and the real openai client; the leaderboard's per-turn boards from those verdicts."""

import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction

from annotation.errors import RecordError
from annotation.services import responses_import
from annotation.services.rubrics import rubric_file_import
from judging.models import JudgeCall, JudgeJob, JudgeUnit, Verdict
from judging.services import (
    judge_job_create, judge_job_estimate, judge_job_retry_failures, judge_job_run, verdicts_import,
)
from judging.testing.campaigns import campaign_for_judging
from judging.testing.fake_server import Reply

from .conftest import make_config

# Two models, two prompts, two turns each: what the judge answers for each (model, prompt, turn), text format.
SCORES = {("mt-model-0", 0, 1): 9, ("mt-model-0", 0, 2): 6, ("mt-model-1", 0, 1): 4, ("mt-model-1", 0, 2): 3,
          ("mt-model-0", 1, 1): 7, ("mt-model-0", 1, 2): 8, ("mt-model-1", 1, 1): 5, ("mt-model-1", 1, 2): 2}


def scripted_grade(request):
    """The grade in SCORES of the answer the request shows last: 評価：[[n]]."""
    prompt = request["messages"][-1]["content"]
    model, prompt_number, turn = re.findall(r"(mt-model-\d)の答え(\d)-(\d)", prompt)[-1]
    return Reply.text(f"よく書けています。\n評価：[[{SCORES[(model, int(prompt_number), int(turn))]}]]")


@pytest.fixture(autouse=True)
def mt_bench_rubric(db):
    """The demo's rubric mt-bench-10: one axis, 1 to 10."""
    rubric_file_import(path=settings.BASE_DIR / "demo" / "rubric-mt-bench-10.json")


@pytest.fixture
def mt_campaign(db):
    return campaign_for_judging(slug="mt", items=4, models=2, rubric_key="mt-bench-10", turns=2)


@pytest.fixture
def mt_judge(fake_llm):
    fake_llm.responder = scripted_grade
    return make_config(fake_llm, name="mt-judge", rubric_key="mt-bench-10", output_format="text")


def run(campaign, config):
    job = judge_job_create(campaign=campaign, config=config)
    judge_job_run(job_id=job.id, threads=1)
    job.refresh_from_db()
    return job


def graded(job):
    """{(model, prompt number, turn): score} of the job's verdicts."""
    rows = Verdict.objects.filter(job=job).values_list(
        "item__response__model__name", "item__response__prompt__external_id", "turn", "scores__score")
    return {(model, int(external_id[1:]), turn): score
            for model, external_id, turn, score in rows}


def test_each_turn_of_a_two_turn_item_is_a_verdict_with_its_turn(mt_campaign, mt_judge, fake_llm):
    assert judge_job_estimate(campaign=mt_campaign, config=mt_judge).units == 8
    job = run(mt_campaign, mt_judge)

    assert job.status == JudgeJob.Status.SUCCEEDED and job.total == 8
    assert Verdict.objects.filter(job=job, parse_status="ok").count() == 8
    assert graded(job) == SCORES  # two verdicts per item, each with its turn and its grade
    assert set(JudgeCall.objects.filter(job=job).values_list("turn", flat=True)) == {1, 2}

    first_turn = [r["messages"][-1]["content"] for r in fake_llm.requests if "2番目の質問" not in r["messages"][-1]["content"]]
    second_turn = [r["messages"][-1]["content"] for r in fake_llm.requests if "2番目の質問" in r["messages"][-1]["content"]]
    assert len(first_turn) == len(second_turn) == 4
    for text in first_turn:  # FastChat's single-turn prompt over the first question and answer only
        assert "1ターン目" in text and "[アシスタントの回答の開始]" in text
        assert "2ターン目" not in text and "-2：" not in text
    for text in second_turn:  # the multi-turn prompt: both turns
        assert "1ターン目" in text and "2ターン目" in text and "<|ユーザーとアシスタントAの会話の開始|>" in text


def test_a_second_job_asks_nothing_again_and_turns_are_unique_per_job(mt_campaign, mt_judge, fake_llm):
    job = run(mt_campaign, mt_judge)
    calls = len(fake_llm.requests)
    again = run(mt_campaign, mt_judge)
    assert len(fake_llm.requests) == calls and Verdict.objects.filter(job=again).count() == 8
    verdict = Verdict.objects.filter(job=job, turn=1).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.create(judge=verdict.judge, job=job, item=verdict.item, turn=1, parse_status="api_error")
    with pytest.raises(IntegrityError), transaction.atomic():
        JudgeUnit.objects.create(job=job, item=verdict.item, turn=1)


def test_an_api_error_on_one_turn_is_judged_again_for_that_turn_only(mt_campaign, fake_llm):
    config = make_config(fake_llm, name="mt-judge", rubric_key="mt-bench-10", output_format="text",
                         max_attempts=1)
    fake_llm.script(Reply.error(500))  # the first unit: the first item's turn 1
    fake_llm.responder = scripted_grade
    job = run(mt_campaign, config)
    failed = Verdict.objects.get(job=job, parse_status="api_error")
    assert failed.turn == 1
    assert judge_job_retry_failures(job=job) == 1
    judge_job_run(job_id=job.id, threads=1)
    assert graded(job) == SCORES


def test_single_turn_items_keep_one_verdict_on_the_whole_conversation(db, fake_llm):
    campaign = campaign_for_judging(slug="one-turn", items=2, rubric_key="mt-bench-10", turns=1)
    config = make_config(fake_llm, name="mt-judge", rubric_key="mt-bench-10", output_format="text")
    job = run(campaign, config)
    assert list(Verdict.objects.filter(job=job).values_list("turn", flat=True)) == [None, None]


def test_the_quality_template_grades_a_two_turn_item_once(db, fake_llm):
    campaign = campaign_for_judging(slug="whole", items=2, turns=2)
    job = run(campaign, make_config(fake_llm))
    assert list(Verdict.objects.filter(job=job).values_list("turn", flat=True)) == [None, None]


def leaderboard_json(*arguments):
    out = io.StringIO()
    call_command("leaderboard", *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_leaderboard_shows_the_mt_bench_score_per_turn_and_over_turns(mt_campaign, mt_judge):
    run(mt_campaign, mt_judge)
    report = leaderboard_json("--campaign", "mt", "--replicates", "0")
    boards = {board["turn"]: board for board in report["boards"]}
    assert list(boards) == [None, 1, 2]

    def mean(board, model):
        row = next(row for row in board["rows"] if row["model"] == model)
        return row["standings"]["mt-judge"]["mean"]["value"]

    # By hand from SCORES: mt-model-0 turn 1 (9 + 7) / 2, turn 2 (6 + 8) / 2, over turns (9 + 6 + 7 + 8) / 4.
    assert mean(boards[1], "mt-model-0") == pytest.approx(8.0)
    assert mean(boards[2], "mt-model-0") == pytest.approx(7.0)
    assert mean(boards[None], "mt-model-0") == pytest.approx(7.5)
    assert mean(boards[1], "mt-model-1") == pytest.approx(4.5)
    assert mean(boards[2], "mt-model-1") == pytest.approx(2.5)
    assert mean(boards[None], "mt-model-1") == pytest.approx(3.5)


# --- imported per-turn verdicts -----------------------------------------------------------------------------

def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


@pytest.fixture
def two_turn_responses(db, tmp_path):
    records = [{"prompt_id": f"q{p}", "turns": [f"質問{p}-1", f"質問{p}-2"], "model": model,
                "responses": [f"{model}の答え{p}-1", f"{model}の答え{p}-2"]}
               for p in (0, 1) for model in ("mt-model-0", "mt-model-1")]
    responses_import(path=write_jsonl(tmp_path / "responses.jsonl", records), campaign_slug="mt-import",
                     rubric_key="mt-bench-10")
    return "mt-import"


def imported_records():
    return [{"prompt_id": f"q{p}", "model": model, "turn": turn, "scores": {"score": score}}
            for (model, p, turn), score in SCORES.items()]


def test_imported_verdicts_keep_their_turn_and_feed_the_per_turn_boards(two_turn_responses, tmp_path):
    path = write_jsonl(tmp_path / "verdicts.jsonl", [*imported_records(), {
        "prompt_id": "q0", "model": "mt-model-0", "scores": {"score": 7}}])  # and one on the whole conversation
    summary = verdicts_import(path=path, campaign_slug="mt-import", judge_name="gpt-4-mt")
    assert summary.created["verdicts"] == 9
    rows = Verdict.objects.filter(judge__name="gpt-4-mt").values_list(
        "item__response__model__name", "item__response__prompt__external_id", "turn", "scores__score")
    assert {(model, int(prompt[1:]), turn): score for model, prompt, turn, score in rows if turn} == SCORES
    assert Verdict.objects.filter(judge__name="gpt-4-mt", turn=None).count() == 1

    again = verdicts_import(path=path, campaign_slug="mt-import", judge_name="gpt-4-mt")
    assert again.unchanged["verdicts"] == 9 and Verdict.objects.count() == 9

    report = leaderboard_json("--campaign", "mt-import", "--replicates", "0")
    turn_one = next(board for board in report["boards"] if board["turn"] == 1)
    row = next(row for row in turn_one["rows"] if row["model"] == "mt-model-0")
    assert row["standings"]["gpt-4-mt"]["mean"]["value"] == pytest.approx((9 + 7) / 2)


@pytest.mark.parametrize("turn, reason", [
    (3, r"verdicts.jsonl:1: turn: model 'mt-model-0' answered prompt 'q0' in 2 turn\(s\); there is no turn 3"),
    (0, r"verdicts.jsonl:1: turn: expected a turn number from 1 to 100, got 0"),
    ("二", r"verdicts.jsonl:1: turn: expected a turn number from 1, got '二'"),
])
def test_a_bad_turn_is_refused_with_its_line_and_nothing_is_written(two_turn_responses, tmp_path, turn, reason):
    path = write_jsonl(tmp_path / "verdicts.jsonl", [
        {"prompt_id": "q0", "model": "mt-model-0", "turn": turn, "scores": {"score": 5}}, *imported_records()])
    with pytest.raises(RecordError, match=reason):
        verdicts_import(path=path, campaign_slug="mt-import", judge_name="gpt-4-mt")
    assert not Verdict.objects.exists()


def test_the_same_turn_scored_differently_is_a_conflict(two_turn_responses, tmp_path):
    path = write_jsonl(tmp_path / "verdicts.jsonl", [
        {"prompt_id": "q0", "model": "mt-model-0", "turn": 1, "scores": {"score": 5}},
        {"prompt_id": "q0", "model": "mt-model-0", "turn": 2, "scores": {"score": 6}},
        {"prompt_id": "q0", "model": "mt-model-0", "turn": 1, "scores": {"score": 4}}])
    with pytest.raises(RecordError, match=r"verdicts.jsonl:3: sample: .* sample 0, turn 1; give the new run"):
        verdicts_import(path=path, campaign_slug="mt-import", judge_name="gpt-4-mt")


def test_the_report_page_shows_a_board_per_turn_from_the_judges_verdicts(mt_campaign, mt_judge, lead, client):
    mt_campaign.created_by = lead
    mt_campaign.save(update_fields=["created_by"])
    run(mt_campaign, mt_judge)
    client.force_login(lead)

    html = client.get("/campaigns/mt/report/", {"replicates": 0}).content.decode()

    turn_two = html.split('data-table="leaderboard" data-turn="2"', 1)[1].split("</table>", 1)[0]
    row = turn_two.split('data-model="mt-model-1"', 1)[1].split("</tr>", 1)[0]
    assert 'data-group="mt-judge"><span class="estimate" data-value="2.500000">' in row
    assert 'data-turn="1"' in html


def test_the_leaderboard_prints_fastchats_mt_bench_table(mt_campaign, mt_judge):
    run(mt_campaign, mt_judge)
    report = leaderboard_json("--campaign", "mt", "--replicates", "0")
    (table,) = report["mt_bench"]
    assert (table["group"], table["axis"]) == ("mt-judge", "score")
    assert [(row["model"], [(t["turn"], t["mean"]) for t in row["turns"]], row["average"]) for row in table["rows"]] \
        == [("mt-model-0", [(1, 8.0), (2, 7.0)], 7.5), ("mt-model-1", [(1, 4.5), (2, 2.5)], 3.5)]
    out = io.StringIO()
    call_command("leaderboard", "--campaign", "mt", "--replicates", "0", stdout=out)
    assert re.search(r"mt-model-1\s+4\.500\s+2\.500\s+3\.500", out.getvalue())


def test_fastchats_average_is_over_every_scored_turn_not_the_turn_means():
    import pandas as pd

    from judging.leaderboard import mt_bench_table

    # Model m: item 1 both turns (10, 4), item 2 only turn 1 (7; turn 2 failed). Turn 1 (10 + 7) / 2 = 8.5,
    # turn 2 4, average (10 + 4 + 7) / 3 = 7, not (8.5 + 4) / 2. Two samples of item 2 turn 1: median (6 + 8) / 2.
    scores = pd.DataFrame({"item": [1, 1, 2, 2], "axis": "score", "score": [10.0, 4.0, 6.0, 8.0],
                           "turn": [1.0, 2.0, 1.0, 1.0]})
    table = mt_bench_table("j", scores, "score", pd.Series({1: "m", 2: "m"}))
    (row,) = table.rows
    assert [(t.turn, t.mean, t.n) for t in row.turns] == [(1, 8.5, 2), (2, 4.0, 1)]
    assert (row.average, row.n) == (pytest.approx(7.0), 3)
    assert mt_bench_table("j", scores.assign(turn=float("nan")), "score", pd.Series({1: "m", 2: "m"})) is None


def test_a_release_keeps_each_verdicts_turn_and_the_per_turn_leaderboard(mt_campaign, mt_judge, settings, tmp_path):
    import pandas as pd

    from exports.services import release_build, release_create, release_folder

    settings.RELEASES_ROOT = tmp_path / "releases"
    run(mt_campaign, mt_judge)
    release = release_build(release_id=release_create(campaigns=[mt_campaign], version="1.0.0", queue=False).pk)
    folder = release_folder(release)

    verdicts = pd.read_parquet(folder / "data/verdicts.parquet")
    assert sorted(verdicts["turn"].tolist()) == [1, 1, 1, 1, 2, 2, 2, 2]
    board = pd.read_parquet(folder / "data/leaderboard.parquet")
    judged = board[(board["source"] == "judge") & (board["model"] == "mt-model-1")]
    by_turn = {None if pd.isna(turn) else int(turn): mean for turn, mean in zip(judged["turn"], judged["mean"])}
    assert by_turn == pytest.approx({None: 3.5, 1: 4.5, 2: 2.5})


def test_meta_eval_takes_a_judges_median_per_turn_then_the_mean_over_turns():
    import pandas as pd

    from annotation import agreement
    from judging.meta_eval import judge_medians

    human = pd.DataFrame({"item": [1, 1], "annotator": ["a", "b"], "axis": "score", "score": [6, 8]})
    encoded = agreement.encode_ratings(human)
    # Turn 1: samples 9, 7, 8 (median 8); turn 2: samples 2, 4, 3 (median 3): the item's score (8 + 3) / 2.
    judge = pd.DataFrame({"item": [1] * 6, "axis": "score", "score": [9, 7, 8, 2, 4, 3],
                          "turn": [1, 1, 1, 2, 2, 2]})
    assert judge_medians(judge, encoded)["score"].tolist() == [5.5]
    assert judge_medians(judge.drop(columns="turn"), encoded)["score"].tolist() == [5.5]  # median of six: 5.5
    judge.loc[:2, "score"] = [9, 9, 9]
    assert judge_medians(judge, encoded)["score"].tolist() == [6.0]  # (9 + 3) / 2; the six together: 6.5

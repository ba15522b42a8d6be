"""Generation jobs end to end through real Celery worker processes and the Redis broker (see test_worker.py,
whose worker, queue and command helpers these tests use), against the fake server over loopback."""

from collections import Counter

from judging.models import Generation, GenerationCall, GenerationJob
from judging.testing.campaigns import campaign_for_generation
from judging.testing.fake_server import Reply, answer_reply

from .test_generation import make_endpoint
from .test_worker import environment, manage, pytestmark, wait_until, workers  # noqa: F401 (fixtures, marks)


def test_generate_wait_rides_out_429_500_truncation_and_slow_replies_turn_by_turn(fake_llm, environment, workers):
    campaign = campaign_for_generation(slug="gen-e2e", prompts=5, turns=2)
    make_endpoint(fake_llm, name="gen-model", concurrency=1)
    fake_llm.responder = answer_reply
    fake_llm.script(Reply.error(429, retry_after=1), Reply.error(500), Reply.slow(0.5, answer_reply(
        {"messages": [{"content": "ゆっくり"}]})), Reply.truncated("富士山は"))
    workers()

    result = manage(environment, "generate", "--campaign", "gen-e2e", "--endpoint", "gen-model", "--wait")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("job ") and "5 answers, 10 calls (0 cached)" in lines[0]
    assert lines[-1].startswith("[" + "#" * 30 + "] 100.0% 5/5 (answered 4, failed 1)") and "succeeded" in lines[-1]
    assert "rate_limited 1" in lines[-1] and "server_error 1" in lines[-1] and "truncated 1" in lines[-1]
    job = GenerationJob.objects.get(campaign=campaign)
    assert Counter(Generation.objects.filter(job=job).values_list("status", flat=True)) == {"ok": 4, "truncated": 1}
    waited = [call for call in GenerationCall.objects.filter(job=job).order_by("id")][:2]
    assert [call.outcome for call in waited] == ["rate_limited", "server_error"]
    # Every second turn was sent with the model's own first answer, as stored.
    for generation in Generation.objects.filter(job=job, status="ok").select_related("response"):
        second = [request for request in fake_llm.requests if len(request["messages"]) == 3
                  and request["messages"][0]["content"] == generation.prompt.turns[0]]
        assert second and second[-1]["messages"][1] == {"role": "assistant",
                                                         "content": generation.response.turns[0]}


def test_a_worker_killed_mid_generation_is_replaced_and_no_prompt_is_answered_twice(fake_llm, environment, workers):
    campaign = campaign_for_generation(slug="gen-killed", prompts=30)
    make_endpoint(fake_llm, name="kill-model", concurrency=4)
    fake_llm.responder = answer_reply
    fake_llm.hold_after(8)  # the first worker gets 8 answers; its later calls wait until it is gone
    first = workers("first")
    queued = manage(environment, "generate", "--campaign", "gen-killed", "--endpoint", "kill-model")
    assert queued.returncode == 0, queued.stderr
    job = GenerationJob.objects.get(campaign=campaign)

    wait_until(lambda: Generation.objects.filter(job=job).count() >= 8, 30, "the first worker answered too little")
    first.kill()
    stored_before = {turns[0] for turns in Generation.objects.filter(job=job).values_list("prompt__turns", flat=True)}
    assert len(stored_before) >= 8
    assert GenerationJob.objects.get(pk=job.pk).status == "running"

    fake_llm.release()
    workers("second")
    wait_until(lambda: GenerationJob.objects.get(pk=job.pk).status == "succeeded", 45,
               "the job did not finish after the worker was replaced")

    per_prompt = Counter(Generation.objects.filter(job=job).values_list("prompt_id", "sample"))
    assert len(per_prompt) == 30 and set(per_prompt.values()) == {1}  # one outcome per (prompt, sample)
    responses = Counter(campaign.items.values_list("response__prompt_id", "response__model__name"))
    assert len(responses) == 30 and set(responses.values()) == {1}  # one response and one item per prompt
    asked = Counter(request["messages"][-1]["content"] for request in fake_llm.requests)
    assert all(asked[question] == 1 for question in stored_before)  # no call repeated for an answer stored


def test_generate_wait_answers_an_exam_with_its_figure_as_a_user_would(fake_llm, environment, workers, tmp_path):
    """An exam campaign imported as import_exam does, answered by `generate --wait` on a worker: the figure
    question goes with its figure as a data URL, each reply becomes the model's answer, the unreadable one a parse
    failure that the progress line counts."""
    import base64

    from annotation.models import ExamAnswer
    from tests.annotation.exam_factories import PNG, exam_campaign

    from .test_exam_generation import TEXT_REPLIES, asked, user_text

    (tmp_path / "source").mkdir()
    exam_campaign(slug="exam-e2e", folder=tmp_path / "source")
    make_endpoint(fake_llm, name="exam-model", accepts_images=True)
    fake_llm.responder = lambda request: Reply.text({**TEXT_REPLIES, "Q3": "図から b と d。\n答え: 2, 4"}[asked(request)])
    workers()

    result = manage(environment, "generate", "--campaign", "exam-e2e", "--endpoint", "exam-model", "--wait")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "4 answers, 4 calls (0 cached)" in lines[0]
    assert lines[-1].startswith("[" + "#" * 30 + "] 100.0% 4/4 (answered 4, failed 0)") and "succeeded" in lines[-1]
    assert "errors: parse_error 1" in lines[-1]
    found = {(row.question.question_id, row.examinee.name, row.sample): (row.answer, row.parsed, row.figures_sent)
             for row in ExamAnswer.objects.select_related("question", "examinee")}
    assert found == {("Q1", "exam-model", 0): ([1], True, False), ("Q2", "exam-model", 0): ([3, 1], True, False),
                     ("Q3", "exam-model", 0): ([2, 4], True, True), ("Q4", "exam-model", 0): ([], False, False)}
    figure_request = next(request for request in fake_llm.requests if asked(request) == "Q3")
    image = figure_request["messages"][-1]["content"][1]["image_url"]["url"]
    assert image == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert "答え: N" in user_text(figure_request)

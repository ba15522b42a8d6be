"""Models answer exam questions through generation jobs, against the fake OpenAI-compatible server.

The exam (tests.annotation.exam_factories.center_exam): Q1 one choice (correct 1), Q2 two blanks in order
(correct 3, 1), Q3 two choices in any order (correct 2 | 4) that needs its figure, Q4 without a correct answer.
The fake model's replies are scripted per question (matched on the question's text in the request), so the
expected answers below are what the replies say, read by hand.
"""

import base64

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.models import ExamAnswer, Item, Response
from judging.management.commands.generate import Command as GenerateCommand
from judging.models import Generation, GenerationCall, GenerationJob
from judging.selectors import job_progress
from judging.services import generation_job_create, generation_job_estimate, generation_job_run
from judging.testing.campaigns import campaign_for_generation
from judging.testing.fake_server import Reply
from tests.annotation.exam_factories import PNG, exam_campaign

from .test_generation import make_endpoint

pytestmark = pytest.mark.django_db

# A phrase of each question's text, to tell in a request which question it asks.
ASKS = {"Q1": "水の化学式", "Q2": "空欄ア・イ", "Q3": "図１の装置", "Q4": "問題文が欠けている設問"}


@pytest.fixture
def exam(settings, tmp_path, django_capture_on_commit_callbacks):
    """The exam campaign, its figure moved into the campaign's folder as the import's commit does."""
    settings.HYOKA_EXAM_FIGURES_DIR = tmp_path / "figures"
    (tmp_path / "source").mkdir()
    with django_capture_on_commit_callbacks(execute=True):
        return exam_campaign(slug="exam", folder=tmp_path / "source")


def user_text(request):
    """The text of a request's user message (a string, or the text part beside image parts)."""
    content = request["messages"][-1]["content"]
    return content if isinstance(content, str) else next(part["text"] for part in content if part["type"] == "text")


def asked(request):
    """Which question a request asks (Q1..Q4)."""
    return next(question for question, phrase in ASKS.items() if phrase in user_text(request))


def scripted(fake_llm, replies):
    """Answer each question with its scripted reply (a Reply, or a text)."""
    def respond(request):
        reply = replies[asked(request)]
        return reply if isinstance(reply, Reply) else Reply.text(reply)
    fake_llm.responder = respond
    return fake_llm


def answers(model="fake-model"):
    """{(question id, sample): (answer, parsed, figures sent)} of the model's ExamAnswer rows."""
    return {(row.question.question_id, row.sample): (row.answer, row.parsed, row.figures_sent)
            for row in ExamAnswer.objects.filter(examinee__name=model).select_related("question")}


def generate(campaign, endpoint, **options):
    job = generation_job_create(campaign=campaign, endpoint=endpoint, options=options)
    generation_job_run(job_id=job.id, threads=1)
    job.refresh_from_db()
    return job


TEXT_REPLIES = {
    "Q1": "水分子は水素原子2個と酸素原子1個からなる。\n答え: 1",  # right
    "Q2": "アには3、イには1が入る。\n**答え：③, ①**",  # right, two blanks in order
    "Q3": "図がないので推測になるが、aとcが正しい。\n答え: 1, 3",  # wrong (2 | 4)
    "Q4": "問題文が欠けているため、どれとも決められない。",  # no answer given: a parse failure
}


class TestTextRuns:
    def test_each_question_is_asked_in_the_exam_prompt_and_its_reply_read_into_an_answer(self, exam, fake_llm):
        scripted(fake_llm, TEXT_REPLIES)
        job = generate(exam, make_endpoint(fake_llm))

        assert job.status == "succeeded" and job.total == 4
        assert answers() == {("Q1", 0): ([1], True, False), ("Q2", 0): ([3, 1], True, False),
                             ("Q3", 0): ([1, 3], True, False), ("Q4", 0): ([], False, False)}
        # The request: the exam prompt's system message, the question and its choices, 「答え: N」, no schema.
        by_question = {asked(request): request for request in fake_llm.requests}
        assert by_question.keys() == {"Q1", "Q2", "Q3", "Q4"}
        q1 = by_question["Q1"]
        assert q1["messages"][0]["role"] == "system" and "試験問題に解答する受験者" in q1["messages"][0]["content"]
        assert "[選択肢]\n①H2O\n②CO2\n③H2O2\n④O2" in user_text(q1) and "答え: N" in user_text(q1)
        assert "response_format" not in q1
        assert "答えは2つです。空欄の順に" in user_text(by_question["Q2"])
        assert "順序は問いません" in user_text(by_question["Q3"])
        assert isinstance(by_question["Q3"]["messages"][-1]["content"], str)  # no images: by its text alone
        # The replies are the model's responses, as every generation is; an exam makes no items of them.
        stored = Response.objects.get(model__name="fake-model", prompt__exam_questions__question_id="Q2")
        assert stored.turns == [TEXT_REPLIES["Q2"]] and stored.metadata["output_format"] == "text"
        assert Item.objects.filter(campaign=exam).count() == 4  # the four questions, nothing more
        assert ExamAnswer.objects.get(question__question_id="Q2").response == stored
        # The parse failure is counted in the job's progress, and the job still answered all four.
        progress = job_progress(job)
        assert (progress.done, progress.failed, progress.call_errors) == (4, 0, {"parse_error": 1})

    def test_a_truncated_reply_and_a_refusal_are_typed_failures_never_answers(self, exam, fake_llm):
        scripted(fake_llm, {**TEXT_REPLIES, "Q1": Reply.truncated("水分子は"),
                            "Q2": "申し訳ありませんが、この問題にはお答えできません。"})
        job = generate(exam, make_endpoint(fake_llm))

        statuses = dict(Generation.objects.filter(job=job).values_list("prompt__exam_questions__question_id",
                                                                       "status"))
        assert statuses == {"Q1": "truncated", "Q2": "refused", "Q3": "ok", "Q4": "ok"}
        assert set(answers()) == {("Q3", 0), ("Q4", 0)}  # no answer is made of a failure
        assert job_progress(job).failures == {"truncated": 1, "refused": 1}

    def test_samples_are_the_answers_samples(self, exam, fake_llm):
        first_answers = iter(["答え: 1", "答え: 2"])  # Q1's two samples differ

        def respond(request):
            question = asked(request)
            return Reply.text(next(first_answers) if question == "Q1" else TEXT_REPLIES[question])
        fake_llm.responder = respond
        generate(exam, make_endpoint(fake_llm, samples=2))

        found = answers()
        assert {found[("Q1", 0)][0][0], found[("Q1", 1)][0][0]} == {1, 2}  # one examinee, two samples
        assert found[("Q2", 0)] == found[("Q2", 1)] == ([3, 1], True, False)
        assert set(Response.objects.filter(prompt__exam_questions__question_id="Q1")
                   .values_list("model__name", flat=True)) == {"exam-question", "fake-model", "fake-model#2"}


class TestJsonSchema:
    def test_a_job_asks_for_the_json_schema_and_reads_the_answer_list(self, exam, fake_llm):
        scripted(fake_llm, {"Q1": Reply.json({"reasoning": "水はH2O。", "answer": ["1"]}),
                            "Q2": Reply.json({"reasoning": "順に3と1。", "answer": ["3", "1"]}),
                            "Q3": Reply.json({"reasoning": "bとd。", "answer": ["4", "2"]}),
                            "Q4": Reply.json({"reasoning": "決められない。", "answer": []})})
        endpoint = make_endpoint(fake_llm)  # text by default: the job asks for JSON
        job = generate(exam, endpoint, output_format="json_schema")

        assert job.spec["output_format"] == "json_schema"
        assert answers() == {("Q1", 0): ([1], True, False), ("Q2", 0): ([3, 1], True, False),
                             ("Q3", 0): ([4, 2], True, False), ("Q4", 0): ([], False, False)}
        q1 = next(request for request in fake_llm.requests if asked(request) == "Q1")
        schema = q1["response_format"]["json_schema"]
        assert q1["response_format"]["type"] == "json_schema" and schema["strict"] is True
        assert schema["schema"]["properties"]["answer"]["items"]["enum"] == ["1", "2", "3", "4"]
        assert '"answer"' in user_text(q1)

    def test_an_endpoint_that_supports_it_answers_in_json_by_default(self, exam, fake_llm):
        scripted(fake_llm, {question: Reply.json({"reasoning": "", "answer": ["1"]}) for question in ASKS})
        job = generate(exam, make_endpoint(fake_llm, output_format="json_schema", system_prompt="日本語で答えること。"))
        assert job.spec["output_format"] == "json_schema"
        assert all("response_format" in request for request in fake_llm.requests)
        system = fake_llm.requests[0]["messages"][0]["content"]  # the endpoint's own system prompt, then the exam's
        assert system.startswith("日本語で答えること。\n\n") and "試験問題に解答する受験者" in system
        assert answers()[("Q1", 0)] == ([1], True, False)


class TestFigures:
    def test_a_text_only_run_leaves_out_the_figure_question_and_a_later_run_sends_its_figure(self, exam, fake_llm):
        scripted(fake_llm, {**TEXT_REPLIES, "Q3": "図１から、bとdが正しい。\n答え: 2, 4"})
        endpoint = make_endpoint(fake_llm, accepts_images=True)
        assert generation_job_estimate(campaign=exam, endpoint=endpoint, options={"text_only": True}).units == 3

        text_only = generate(exam, endpoint, text_only=True)
        assert text_only.total == 3 and "Q3" not in {asked(request) for request in fake_llm.requests}
        assert {question for question, _ in answers()} == {"Q1", "Q2", "Q4"}

        with_figures = generate(exam, endpoint)  # what is left: the figure question, with its figure
        assert with_figures.total == 1 and with_figures.spec["figures"] is True
        content = fake_llm.requests[-1]["messages"][-1]["content"]
        assert [part["type"] for part in content] == ["text", "image_url"]
        assert content[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
        assert "添付した画像" in content[0]["text"]
        assert answers()[("Q3", 0)] == ([2, 4], True, True)  # figures sent: recorded
        assert answers()[("Q1", 0)] == ([1], True, False)

    def test_no_figures_asks_the_figure_question_by_its_text_on_an_endpoint_that_accepts_images(self, exam,
                                                                                                 fake_llm):
        scripted(fake_llm, TEXT_REPLIES)
        generate(exam, make_endpoint(fake_llm, accepts_images=True), figures=False)
        assert all(isinstance(request["messages"][-1]["content"], str) for request in fake_llm.requests)
        assert answers()[("Q3", 0)] == ([1, 3], True, False)

    def test_options_an_endpoint_or_campaign_cannot_take_are_refused_before_any_call(self, exam, fake_llm):
        endpoint = make_endpoint(fake_llm)
        with pytest.raises(Exception, match="does not accept images"):
            generation_job_create(campaign=exam, endpoint=endpoint, options={"figures": True})
        with pytest.raises(Exception, match="text-only run .* sends no figures"):
            generation_job_create(campaign=exam, endpoint=make_endpoint(fake_llm, name="seeing", accepts_images=True),
                                  options={"figures": True, "text_only": True})
        likert = campaign_for_generation(prompts=1)
        with pytest.raises(Exception, match="text_only: options of generation jobs on exam campaigns"):
            generation_job_create(campaign=likert, endpoint=endpoint, options={"text_only": True})
        assert not GenerationJob.objects.exists() and not fake_llm.requests

    def test_a_figure_gone_from_the_folder_is_named_when_the_job_is_made(self, exam, fake_llm, settings):
        (settings.HYOKA_EXAM_FIGURES_DIR / "exam" / "Center-2001--Main-Test-001.png").unlink()
        with pytest.raises(Exception, match="figure Center-2001--Main-Test-001.png of campaign exam is not in"):
            generation_job_create(campaign=exam, endpoint=make_endpoint(fake_llm, accepts_images=True))
        assert not GenerationJob.objects.exists()


class TestCommand:
    def test_generate_takes_the_exam_options_and_says_so_in_its_help(self, exam, fake_llm, capsys):
        help_text = GenerateCommand().create_parser("manage.py", "generate").format_help()
        for option in ("--output-format", "--text-only", "--figures", "--no-figures", "答え: N"):
            assert option in help_text

        make_endpoint(fake_llm, name="cmd-model")
        call_command("generate", "--campaign", "exam", "--endpoint", "cmd-model", "--text-only",
                     "--output-format", "json_schema")
        out = capsys.readouterr().out
        assert "3 answers, 3 calls (0 cached)" in out
        job = GenerationJob.objects.get()
        assert (job.spec["text_only"], job.spec["output_format"], job.total) == (True, "json_schema", 3)

        with pytest.raises(CommandError, match="does not accept images"):
            call_command("generate", "--campaign", "exam", "--endpoint", "cmd-model", "--figures")

    def test_the_estimate_counts_image_parts(self, exam, fake_llm):
        endpoint = make_endpoint(fake_llm, accepts_images=True)
        with_figure = generation_job_estimate(campaign=exam, endpoint=endpoint)
        without = generation_job_estimate(campaign=exam, endpoint=endpoint, options={"figures": False})
        assert with_figure.units == without.units == 4
        # One figure, about 765 tokens, plus the sentence saying the figures are attached.
        assert 765 < with_figure.input_tokens - without.input_tokens < 765 + 100
        assert not GenerationCall.objects.exists()



class TestPagesAndApi:
    @pytest.fixture
    def led_exam(self, exam, lead):
        exam.created_by = lead
        exam.save(update_fields=["created_by"])
        return exam

    def test_the_api_takes_the_exam_options(self, led_exam, lead, fake_llm):
        from .test_api import client_for

        make_endpoint(fake_llm, name="m1")
        api = client_for(lead)
        estimate = api.get("/api/campaigns/exam/generation-estimate/", {"endpoint": "m1", "text_only": "true"})
        assert estimate.status_code == 200 and estimate.json()["units"] == 3
        refused = api.post("/api/campaigns/exam/generation-jobs/", {"endpoint": "m1", "figures": True}, format="json")
        assert refused.status_code == 400 and "does not accept images" in refused.json()["detail"]
        created = api.post("/api/campaigns/exam/generation-jobs/",
                           {"endpoint": "m1", "text_only": True, "output_format": "json_schema"}, format="json")
        assert created.status_code == 201, created.json()
        job = GenerationJob.objects.get()
        assert (job.total, job.spec["text_only"], job.spec["output_format"], job.spec["figures"]) == \
            (3, True, "json_schema", False)

    def test_the_page_offers_the_exam_options_and_the_job_page_counts_parse_failures(self, led_exam, lead, client,
                                                                                       fake_llm):
        from django.urls import reverse

        make_endpoint(fake_llm)
        client.force_login(lead)
        url = reverse("generation_job_list", args=["exam"])
        page = client.get(url).content.decode()
        assert 'name="text_only"' in page and 'name="output_format"' in page and 'name="no_figures"' in page
        estimate = client.get(url, {"endpoint": "fake-model", "text_only": "on"}).content.decode()
        assert 'data-estimate="units">3<' in estimate and 'name="text_only" value="on"' in estimate
        started = client.post(url, {"endpoint": "fake-model", "text_only": "on"})
        job = GenerationJob.objects.get()
        assert started.status_code == 302 and job.spec["text_only"] is True and job.total == 3

        scripted(fake_llm, TEXT_REPLIES)
        generation_job_run(job_id=job.id, threads=1)
        shown = client.get(job.get_absolute_url()).content.decode()
        assert 'data-field="done">3<' in shown
        assert '<code class="muted small">parse_error</code></th><td class="number">1</td>' in shown

        likert = campaign_for_generation(prompts=1, created_by=lead)
        assert 'name="text_only"' not in client.get(reverse("generation_job_list", args=[likert.slug])).content.decode()

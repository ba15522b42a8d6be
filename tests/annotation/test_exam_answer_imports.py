"""Models' answers to exam questions made elsewhere, brought in with import_responses: each reply is read into an
ExamAnswer as a generation job's is (annotation.services.exam_answers), and a prompt that is no question of the
campaign stops the import with nothing written."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.models import ExamAnswer, Response, model_and_sample, sample_model_name
from tests.annotation.exam_factories import center_exam, exam_campaign, write_jsonl

pytestmark = pytest.mark.django_db

TEXTS = {record["question_id"]: record["text"] for record in center_exam()}


@pytest.fixture
def exam(settings, tmp_path):
    settings.HYOKA_EXAM_FIGURES_DIR = tmp_path / "figures"
    (tmp_path / "source").mkdir()
    return exam_campaign(slug="exam", folder=tmp_path / "source")


def reply(question_id, model, response, **extra):
    """An import_responses record answering one question: the question's prompt id, source and text."""
    return {"prompt_id": f"Center-2001--Main-Test/{question_id}", "source": "Test Center",
            "prompt": TEXTS[question_id], "model": model, "response": response, **extra}


def answers():
    return {(row.examinee.name, row.sample, row.question.question_id): (row.answer, row.parsed, row.figures_sent)
            for row in ExamAnswer.objects.select_related("examinee", "question")}


def test_imported_replies_are_read_into_answers_as_generated_ones_are(exam, tmp_path, capsys):
    path = write_jsonl(tmp_path / "answers.jsonl", [
        reply("Q1", "swallow-13b", "水はH2Oなので、答えは①です。"),
        reply("Q2", "swallow-13b", "答え1: 3\n答え2: 1"),
        reply("Q3", "swallow-13b", json.dumps({"reasoning": "図から", "answer": ["4", "2"]}),
              response_metadata={"output_format": "json_schema", "figures_sent": True}),
        reply("Q4", "swallow-13b", "判断できない。"),
        reply("Q1", "swallow-13b#2", "答え: 2"),  # the model's second sample
    ])
    call_command("import_responses", path, "--campaign", "exam")

    assert answers() == {
        ("swallow-13b", 0, "Q1"): ([1], True, False), ("swallow-13b", 0, "Q2"): ([3, 1], True, False),
        ("swallow-13b", 0, "Q3"): ([4, 2], True, True), ("swallow-13b", 0, "Q4"): ([], False, False),
        ("swallow-13b", 1, "Q1"): ([2], True, False),
    }
    out = capsys.readouterr().out
    assert "5 exam answers" in out and "1 exam answers without a readable answer (parse failures)" in out

    call_command("import_responses", path, "--campaign", "exam")  # again: nothing new, nothing read twice
    assert ExamAnswer.objects.count() == 5


def test_a_reply_to_a_prompt_that_is_no_question_stops_the_import(exam, tmp_path):
    path = write_jsonl(tmp_path / "answers.jsonl", [
        reply("Q1", "swallow-13b", "答え: 1"),
        {"prompt_id": "Center-2001--Main-Test/Q9", "source": "Test Center", "prompt": "存在しない設問",
         "model": "swallow-13b", "response": "答え: 1"},
    ])
    with pytest.raises(CommandError, match="1 prompts are no questions of exam campaign exam "
                                           r"\(Center-2001--Main-Test/Q9\)"):
        call_command("import_responses", path, "--campaign", "exam")
    assert not ExamAnswer.objects.exists() and not Response.objects.filter(model__name="swallow-13b").exists()


@pytest.mark.parametrize("name, sample", [("gpt-4o", 0), ("gpt-4o#2", 1), ("gpt-4o#10", 9), ("a#b", 0)])
def test_sample_names_and_their_reading_are_one_rule(name, sample):
    base, found = model_and_sample(name)
    assert found == sample and sample_model_name(base, found) == name

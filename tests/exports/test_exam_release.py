"""A release of an exam campaign: its questions, answers (models' and people's, with correctness) and scores as
tables, the report as exam_report.json, a card that carries the source's license; and the rule that a campaign
built on a non-commercial source is never released under a license that allows commercial use. The data and its
figures: tests.exports.exam_report_factories."""

import io
import json

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from annotation.errors import HyokaError
from annotation.models import ExamQuestion, Exam
from exports.models import Release
from exports.services import release_build, release_create, release_folder, release_publish
from tests.annotation.exam_factories import write_center_exam
from tests.exports.exam_report_factories import answered_exam_campaign

pytestmark = pytest.mark.django_db
NC = "cc-by-nc-4.0"


@pytest.fixture
def campaign(tmp_path):
    campaign = answered_exam_campaign(folder=tmp_path)
    Exam.objects.filter(campaign=campaign).update(license=NC)
    return campaign


def built(campaign, license=NC, version="1.0.0"):
    release = release_build(release_id=release_create(campaigns=[campaign], version=version, license=license,
                                                      queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    return release


def table(release, name):
    return pd.read_parquet(release_folder(release) / "data" / f"{name}.parquet")


def test_the_questions_table(campaign):
    questions = table(built(campaign), "questions").set_index("question_id")
    assert list(questions.index) == ["Q1", "Q2", "Q3", "Q4"]
    q2 = questions.loc["Q2"]
    assert (list(q2.correct_answer), q2.correct_label, q2.answer_form, q2.points) == ([3, 1], "③, ①", "ordered", 4)
    assert (questions.loc["Q3"].answer_form, questions.loc["Q3"].correct_label) == ("unordered", "② / ④")
    assert list(questions.needs_figure) == [False, False, True, False]
    assert list(questions.scorable) == [True, True, True, False]
    assert questions.loc["Q1"].student_correct_rate == pytest.approx(0.8)
    assert questions.loc["Q1"].question.startswith("水の化学式") and list(questions.loc["Q1"].choices)[0] == "①H2O"
    assert set(questions.source_license) == {NC}


def test_each_question_carries_the_peoples_final_answer_and_its_provenance(campaign, lead):
    """The people's answers (exam_report_factories): Q1 alice 1, bob 3 (a tie: unresolved until an adjudicator
    records 3); Q2 alice alone 3,1; Q3 alice alone 2,4; Q4 bob alone 1."""
    from annotation.services.adjudication import adjudication_record

    first = table(built(campaign), "questions").set_index("question_id")
    q1 = ExamQuestion.objects.get(exam__campaign=campaign, question_id="Q1")
    adjudication_record(item=q1.item, adjudicator=lead, verdict="3", note="問題文の条件から③")
    again = table(built(campaign, version="1.0.1"), "questions").set_index("question_id")

    assert first.loc["Q1"].final_answer is None and first.loc["Q1"].final_provenance == "unresolved"
    assert [(list(row.final_answer), row.final_provenance) for _, row in first.loc[["Q2", "Q3", "Q4"]].iterrows()] \
        == [([3, 1], "single"), ([2, 4], "single"), ([1], "single")]
    assert (list(again.loc["Q1"].final_answer), again.loc["Q1"].final_provenance) == ([3], "adjudicated")
    assert "adjudication_note" not in again.columns  # free text: only when the lead opts in to comments


def test_the_answers_table_scores_every_answer(campaign):
    answers = table(built(campaign), "answers")
    assert len(answers) == 7 + 5  # the model's two samples, alice's three answers and bob's two
    model = answers[answers.examinee == "m13b"].set_index(["sample", "question_id"])
    assert model.loc[(0, "Q2")].correct == False  # noqa: E712 (1,3 for blanks 3,1)
    assert (model.loc[(0, "Q3")].correct, model.loc[(0, "Q3")].answer_label) == (True, "④ / ②")
    unread = model.loc[(1, "Q3")]
    assert (unread.parsed, unread.answer, unread.correct) == (False, None, None)
    assert model.loc[(0, "Q4")].correct is None  # unscorable
    assert model.loc[(1, "Q2")].response == "答え: 3,1"
    people = answers[answers.examinee_kind == "humans"]
    assert sorted(people.correct.map({True: "✓", False: "✗", None: "-"})) == sorted("✓✓✓✗-")
    assert people.annotator.str.startswith("ann-").all() and "alice" not in people.to_json()
    assert people["sample"].isna().all() and model.annotator.isna().all()


def test_the_scores_table_is_the_reports_standing(campaign):
    scores = table(built(campaign), "scores").set_index(["examinee", "questions_set"])
    assert len(scores) == 4  # two examinees, every question and the text-only ones
    # m13b: (7/11 + 4/7) / 2 over every question, (3/7 + 4/7) / 2 on the text-only ones; the people 50
    assert scores.loc[("m13b", "all")].score == pytest.approx(100 * (7 / 11 + 4 / 7) / 2)
    assert scores.loc[("m13b", "all")].parse_failures == 1
    assert scores.loc[("m13b", "text_only")].score == pytest.approx(50)
    assert scores.loc[("humans", "all")].accuracy == pytest.approx(50)
    assert set(scores.student_average) == {60}


def test_the_report_json_is_the_commands(campaign):
    release = built(campaign)
    kept = json.loads((release_folder(release) / "exam_report.json").read_text())
    out = io.StringIO()
    call_command("exam_report", campaign="exam", json=True, stdout=out)
    assert kept == {"campaigns": [json.loads(out.getvalue())]}


def test_the_card_carries_the_source_license_and_the_table(campaign):
    card = built(campaign).card
    assert "license: cc-by-nc-4.0" in card
    assert "source license: cc-by-nc-4.0" in card and "non-commercial use only" in card
    assert ("| KagakuIB(main exam) | 2001 | 4 (3) | 60.39 [answered 2–3 of 3] (50.00) | 50.00 [answered 1–3 of 3] "
            "(50.00 [answered 1–2 of 2]) | 60.00 |") in card
    assert "A score marked [answered x of y] covers x of the y scorable questions only" in card
    assert "config_name: questions" in card and "preference_pairs" not in card.split("## Summary")[0]
    assert "| Models | 2 |" in card  # m13b, which answered, and the questions' placeholder model


@pytest.mark.parametrize("license", ["cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0", "odc-by"])
def test_a_non_commercial_source_is_never_released_under_a_permissive_license(campaign, license):
    with pytest.raises(HyokaError, match=f"non-commercial license cc-by-nc-4.0: its release cannot be published "
                                         f"under {license}"):
        release_create(campaigns=[campaign], version="1.0.0", license=license, queue=False)
    assert not Release.objects.exists()


def test_the_release_command_refuses_it_too(campaign):
    with pytest.raises(CommandError, match="cannot be published under cc-by-4.0"):
        call_command("release", "--campaign=exam", "--version=1.0.0", "--license=cc-by-4.0", stdout=io.StringIO())


def test_a_license_recorded_after_the_draft_stops_its_publication(campaign):
    Exam.objects.filter(campaign=campaign).update(license="cc-by-4.0")  # questions of the lead's own, say
    release = built(campaign, license="cc-by-4.0")
    Exam.objects.filter(campaign=campaign).update(license="CC BY-NC-SA 4.0")
    with pytest.raises(HyokaError, match="non-commercial license CC BY-NC-SA 4.0"):
        release_publish(release=release)
    assert Release.objects.get().status == Release.Status.DRAFT
    Exam.objects.filter(campaign=campaign).update(license="")  # cleared since: unknown stops it too
    with pytest.raises(HyokaError, match="the source license of campaign exam's exams Center-2001--Main-Test is unknown"):
        release_publish(release=release)
    assert release_publish(release=built(campaign, license="cc-by-nc-sa-4.0", version="1.0.1")).status == "published"


UNKNOWN = ("the source license of campaign exam's exams Center-2001--Main-Test is unknown, so its release cannot be "
           "published under cc-by-4.0, which allows commercial use: record the source's license first (import_exam "
           "FILES --campaign exam --license ID, which changes nothing else, or \"Source license\" on the campaign's "
           "Manage page), or choose cc-by-nc-4.0 or cc-by-nc-sa-4.0 (or other, stating the source's terms)")


def test_an_unknown_source_license_is_never_released_under_a_permissive_one_silently(campaign, tmp_path):
    """A center exam imported without --license: the release command refuses the default CC BY and says how to
    record the source's license; once recorded (the same files again with --license), the rule is the source's."""
    Exam.objects.filter(campaign=campaign).update(license="")
    with pytest.raises(CommandError) as refused:
        call_command("release", "--campaign=exam", "--version=1.0.0", stdout=io.StringIO())  # the default, CC BY
    assert str(refused.value) == UNKNOWN
    assert not Release.objects.exists()

    built(campaign, license="cc-by-nc-4.0")  # a non-commercial release needs no recorded source license
    assert "source license: unknown" in Release.objects.get().card

    again = tmp_path / "again"
    again.mkdir()
    call_command("import_exam", write_center_exam(again), campaign="exam", license="cc-by-4.0", stdout=io.StringIO())
    assert list(Exam.objects.filter(campaign=campaign).values_list("license", flat=True)) == ["cc-by-4.0"]
    out = io.StringIO()
    call_command("release", "--campaign=exam", "--version=1.1.0", stdout=out)
    assert "release exam 1.1.0: built" in out.getvalue()


def test_the_release_api_refuses_an_unknown_source_license_under_a_permissive_one(client, campaign, lead):
    Exam.objects.filter(campaign=campaign).update(license="")
    campaign.created_by = lead
    campaign.save(update_fields=["created_by"])
    client.force_login(lead)

    refused = client.post(f"/api/campaigns/{campaign.slug}/releases/", {"version": "1.0.0", "license": "cc0-1.0"},
                          content_type="application/json")

    assert refused.status_code == 400
    assert UNKNOWN.replace("cc-by-4.0, which", "cc0-1.0, which") in refused.json()["detail"]
    assert not Release.objects.exists()
    accepted = client.post(f"/api/campaigns/{campaign.slug}/releases/", {"version": "1.0.0", "license": "other"},
                           content_type="application/json")
    assert accepted.status_code == 202


def test_import_exam_records_the_source_license(tmp_path):
    path = write_center_exam(tmp_path)
    call_command("import_exam", path, campaign="licensed", license=NC, stdout=io.StringIO())
    assert Exam.objects.get(campaign__slug="licensed").license == NC
    call_command("import_exam", path, campaign="licensed", stdout=io.StringIO())  # again, without: kept
    assert Exam.objects.get(campaign__slug="licensed").license == NC


def test_the_published_release_shows_on_the_datasets_pages(client, campaign):
    from django.urls import reverse

    release = release_publish(release=built(campaign))
    listing = client.get(reverse("dataset_list")).content.decode()
    assert release.name in listing
    page = client.get(reverse("dataset_detail", args=[release.name, release.version]))
    assert page.status_code == 200
    assert "data/answers.parquet" in page.content.decode() and "exam_report.json" in page.content.decode()


def test_the_release_api_answers_400_with_the_reason(client, campaign, lead):
    campaign.created_by = lead
    campaign.save(update_fields=["created_by"])
    client.force_login(lead)
    response = client.post(f"/api/campaigns/{campaign.slug}/releases/", {"version": "1.0.0"},
                           content_type="application/json")  # the default license, CC BY 4.0
    assert response.status_code == 400 and "non-commercial license cc-by-nc-4.0" in response.content.decode()
    assert not Release.objects.exists()
    accepted = client.post(f"/api/campaigns/{campaign.slug}/releases/", {"version": "1.0.0", "license": NC},
                           content_type="application/json")
    assert accepted.status_code == 202

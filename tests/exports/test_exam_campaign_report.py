"""An exam campaign's report read from the database: `exam_report` (its table, --json, --text-only, its errors),
GET /api/campaigns/<slug>/exam-report/ and its readers, and the report page. The figures are worked out by hand
for the data of tests.exports.exam_report_factories (its docstring lists every answer)."""

import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from annotation.models import CampaignMembership, Item
from annotation.services.memberships import campaign_member_add
from tests.annotation.exam_factories import exam_campaign
from tests.exports.exam_report_factories import answered_exam_campaign

pytestmark = pytest.mark.django_db
EXAM = "Center-2001--Main-Test"


@pytest.fixture
def campaign(lead, tmp_path):
    campaign = answered_exam_campaign(folder=tmp_path)
    campaign.created_by = lead
    campaign.save(update_fields=["created_by"])
    return campaign


def command(*args, **options):
    out = io.StringIO()
    call_command("exam_report", *args, stdout=out, **options)
    return out.getvalue()


def report_json(**options):
    return json.loads(command(campaign="exam", json=True, **options))


def standing(report, examinee, part="all"):
    (exam,) = report["exams"]
    return next(found for found in exam["examinees"] if found["examinee"] == examinee)[part]


def test_the_examinees_are_the_model_then_the_people(campaign):
    meta = report_json()["meta"]
    assert meta["examinees"] == [{"name": "m13b", "kind": "model", "samples": 2},
                                 {"name": "humans", "kind": "humans", "samples": 2}]
    assert (meta["n_questions"], meta["n_scorable"], meta["n_text_only"]) == (4, 3, 3)


def test_the_models_accuracy_and_points_normalised_score_over_its_two_samples(campaign):
    model = standing(report_json(), "m13b")
    # sample 0: Q1 ✓ (3 points), Q2 ✗ (4), Q3 ✓ (4): 2 of 3, 7 of 11 points;
    # sample 1: Q1 ✗, Q2 ✓ (4), Q3 unreadable (left out): 1 of 2, 4 of 7 points
    assert (model["questions"], model["scorable"], model["points"], model["answered"]) == (4, 3, 11, 3)
    assert model["parse_failures"] == 1
    assert model["accuracy"]["value"] == pytest.approx((200 / 3 + 50) / 2)
    assert model["accuracy"]["sd"] == pytest.approx((200 / 3 - 50) / 2 ** 0.5)
    assert (model["accuracy"]["low"], model["accuracy"]["high"]) == (pytest.approx(50), pytest.approx(200 / 3))
    assert model["score"]["value"] == pytest.approx(100 * (7 / 11 + 4 / 7) / 2)
    # the parse failure counted wrong: sample 1 is 1 of 3, 4 of 11 points
    assert model["accuracy_failures_wrong"]["value"] == pytest.approx((200 / 3 + 100 / 3) / 2)
    assert model["score_failures_wrong"]["value"] == pytest.approx(100 * (7 / 11 + 4 / 11) / 2)
    # the students on the same questions: (0.8 × 3 + 0.5 × 4 + 0.3 × 4) / 11
    assert model["students"] == pytest.approx(100 * 5.6 / 11)


def test_the_people_are_one_examinee_each_annotator_a_sample(campaign):
    people = standing(report_json(), "humans")
    # alice: Q1, Q2, Q3 right (100); bob: Q1 wrong (0), Q4 unscorable
    assert people["accuracy"]["value"] == pytest.approx(50)
    assert people["score"]["value"] == pytest.approx(50)
    assert (people["score"]["low"], people["score"]["high"]) == (0, 100)
    questions = {q["question_id"]: q for q in report_json()["questions"]}
    assert questions["Q3"]["answers"]["humans"] == {"answers": ["② / ④"], "correct": 1.0, "parse_failures": 0}
    assert questions["Q1"]["answers"]["humans"]["answers"] == ["①", "③"]


def test_text_only_figures_beside_and_alone(campaign):
    # text-only: Q1 (3 points) and Q2 (4); sample 0 gets 3 of 7, sample 1 gets 4 of 7
    assert standing(report_json(), "m13b", "text_only")["score"]["value"] == pytest.approx(50)
    assert standing(report_json(), "m13b", "text_only")["students"] == pytest.approx(100 * 4.4 / 7)
    text_only = report_json(text_only=True)
    assert text_only["meta"]["text_only"] is True
    assert [q["question_id"] for q in text_only["questions"]] == ["Q1", "Q2", "Q4"]
    model = standing(text_only, "m13b")
    assert (model["questions"], model["scorable"], model["points"], model["parse_failures"]) == (3, 2, 7, 0)
    assert model["accuracy"]["value"] == pytest.approx(50)
    assert model["score"]["value"] == pytest.approx(50)


def test_the_working_group_table_by_default(campaign):
    lines = command(campaign="exam").splitlines()
    header = next(line for line in lines if line.startswith("subject"))
    assert "questions (text-only)" in header and "m13b" in header and "humans" in header
    row = next(line for line in lines if line.startswith("KagakuIB(main exam)"))
    assert "2001" in row and "4 (3)" in row
    # m13b: 60.39 (text-only 50.00), its second sample's Q3 unreadable: 2–3 of the 3 scorable questions; the
    # people 50.00 (alice Q1 ✓ Q2 ✓ Q3 ✓, bob Q1 ✗: 1–3 of them); the students 60
    assert "60.39 [answered 2–3 of 3] (50.00)" in row
    assert "50.00 [answered 1–3 of 3] (50.00 [answered 1–2 of 2])" in row and row.rstrip().endswith("60.00")


def test_the_tracking_of_the_students(campaign):
    tracking = {found["examinee"]: found for found in report_json()["tracking"]}
    # m13b's share right per question (Q1 ½, Q2 ½, Q3 1 of its one readable sample) against 0.8, 0.5, 0.3:
    # deviations (−1/6, −1/6, 1/3) and (0.2667, −0.0333, −0.2333): Sxy = −0.7/6, Sxx = 1/6, Syy = 0.38/3
    assert tracking["m13b"]["n"] == 3
    assert tracking["m13b"]["correlation"] == pytest.approx(-0.7 / 6 / (1 / 6 * 0.38 / 3) ** 0.5)


@pytest.mark.parametrize("slug, message", [("nope", "no campaign 'nope'"),
                                           ("jp-quality", "jp-quality is a likert campaign, not an exam campaign")])
def test_unknown_and_not_exam_campaigns_are_refused(campaign, slug, message, quality_rubric):
    from annotation.models import Campaign

    Campaign.objects.create(slug="jp-quality", name="品質", rubric=quality_rubric)
    with pytest.raises(CommandError, match=message):
        command(campaign=slug)


def test_a_campaign_without_answers_says_so(tmp_path):
    exam_campaign("fresh", tmp_path)
    with pytest.raises(CommandError, match="campaign fresh has no answers yet"):
        command(campaign="fresh")


def test_gold_items_do_not_count(campaign):
    Item.objects.filter(exam_question__question_id="Q1").update(quality_role="gold")
    report = report_json()
    assert [q["question_id"] for q in report["questions"]] == ["Q2", "Q3", "Q4"]


def test_the_help_explains_the_figures(capsys):
    with pytest.raises(SystemExit):
        call_command("exam_report", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "normalised by the points" in text and "--text-only" in text and "--json" in text


# The API ---------------------------------------------------------------------------------------------------

def test_the_api_gives_the_commands_json(client, campaign, lead):
    client.force_login(lead)
    response = client.get(reverse("api_exam_report", args=["exam"]))
    assert response.status_code == 200
    assert response.json() == report_json()
    text_only = client.get(reverse("api_exam_report", args=["exam"]), {"text_only": "true"}).json()
    assert text_only == report_json(text_only=True)


def user(name, group):
    person = User.objects.create_user(name, password="x")
    person.groups.add(Group.objects.get(name=group))
    return person


def test_the_api_readers_are_the_leads_and_granted_researchers(client, campaign, researcher):
    url = reverse("api_exam_report", args=["exam"])
    campaign_member_add(campaign=campaign, username=researcher.username, role=CampaignMembership.Role.RESEARCHER)
    client.force_login(researcher)
    assert client.get(url).status_code == 200
    annotator = user("ann", "annotator")
    campaign_member_add(campaign=campaign, username="ann")
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(user("ruth", "researcher"))
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_the_api_refuses_a_likert_campaign_with_400(client, lead, quality_rubric):
    from annotation.models import Campaign

    Campaign.objects.create(slug="jp-quality", name="品質", rubric=quality_rubric, created_by=lead)
    client.force_login(lead)
    response = client.get(reverse("api_exam_report", args=["jp-quality"]))
    assert response.status_code == 400 and "not an exam campaign" in response.content.decode()


# The page --------------------------------------------------------------------------------------------------

def test_the_report_page_shows_the_exam_table_and_chart(client, campaign, lead):
    client.force_login(lead)
    with translation.override("en"):
        html = client.get(reverse("campaign_report", args=["exam"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    start = html.index('data-table="exam-scores"')
    table = html[start:html.index("</table>", start)]
    assert f'data-exam="{EXAM}"' in table and "4 (3)" in table
    assert 'data-examinee="m13b"' in table and 'data-examinee="humans"' in table
    assert 'data-value="60.38961' in table  # m13b's score, (7/11 + 4/7) / 2
    assert "60.00" in table  # the students
    assert 'data-chart="exam-scores"' in html and "<svg" in html
    assert 'data-table="exam-questions"' in html and "✗" in html  # sample 1's unreadable Q3


def test_new_answers_and_student_results_change_the_pages_data_version(campaign):
    from annotation.models import Exam, ExamAnswer, ExamQuestion
    from exports.services.report_snapshots import campaign_data_version

    before = campaign_data_version(campaign)
    ExamAnswer.objects.filter(sample=1, question__question_id="Q1").update(answer=[1])
    after_answer = campaign_data_version(campaign)
    ExamQuestion.objects.filter(question_id="Q4").update(student_correct_rate=0.4)
    after_question = campaign_data_version(campaign)
    Exam.objects.filter(campaign=campaign).update(student_average=55)
    assert before < after_answer < after_question < campaign_data_version(campaign)


def test_a_gakucho_exam_reads_the_students_answers_for_the_common_wrong_answer(tmp_path):
    """The gakucho layout gives the students' answers: イ right (61 %), ア the most common wrong one (20.5 %)."""
    from annotation.models import ExamAnswer, ExamQuestion, LanguageModel, Response
    from annotation.services.exam_imports import exam_import
    from tests.annotation.exam_factories import gakucho_question, write_jsonl

    path = write_jsonl(tmp_path / "gakucho.jsonl", [gakucho_question("1-1"), gakucho_question("1-2"),
                                                    gakucho_question("1-3", answer_label="ウ")])
    exam_import(paths=[path], campaign_slug="gakucho")
    model = LanguageModel.objects.create(name="swallow")
    for question_id, answer in (("1-1", [1]), ("1-2", [3]), ("1-3", [3])):  # ア ✗ (common), ウ ✗ (not), ウ ✓
        question = ExamQuestion.objects.get(question_id=question_id)
        response = Response.objects.create(prompt=question.prompt, model=model, turns=["答え: ア"])
        ExamAnswer.objects.create(question=question, response=response, examinee=model, answer=answer)
    report = json.loads(command(campaign="gakucho", json=True))
    (tracking,) = report["tracking"]
    assert (tracking["wrong"], tracking["common_wrong"]) == (2, 1)
    questions = {q["question_id"]: q for q in report["questions"]}
    assert questions["1-1"]["student_correct_rate"] == pytest.approx(0.61)
    assert questions["1-1"]["students_common_wrong"] == ["ア"]
    assert questions["1-2"]["answers"]["swallow"]["answers"] == ["ウ"]
    (exam,) = report["exams"]
    assert (exam["exam"], exam["subject"], exam["year"]) == ("理科-2019", "理科", "2019")
    # no points in the source: accuracy 1 of 3, no score
    (found,) = exam["examinees"]
    assert found["all"]["accuracy"]["value"] == pytest.approx(100 / 3) and found["all"]["score"]["value"] is None

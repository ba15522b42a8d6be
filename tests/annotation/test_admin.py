"""The Django admin: every model is there, every page opens, changelists stay at a fixed query count,
and rubrics that ratings or verdicts depend on cannot be changed."""

import hashlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.models import (
    Adjudication,
    AdjudicationScore,
    Annotator,
    Assignment,
    Batch,
    Campaign,
    CampaignMembership,
    CampaignPrompt,
    ExamAnswer,
    ExampleOutcomes,
    ExamQuestion,
    GoldAnswer,
    GoldPauseLift,
    ChecklistItem,
    Draft,
    Item,
    ItemSlot,
    LanguageModel,
    ModelSeries,
    Prompt,
    Rating,
    RatingCheck,
    RatingRevision,
    RatingScore,
    Response,
    Rubric,
    RubricAxis,
    SeriesTask,
    Skip,
    TaskScore,
    Upload,
)
from judging.models import (
    Generation, GenerationCall, GenerationJob, GenerationUnit, JudgeCacheEntry, JudgeCall, JudgeConfig, JudgeJob,
    JudgeUnit, ModelEndpoint, Verdict, VerdictCheck, VerdictScore,
)
from tests.annotation.exam_factories import exam_campaign

DOMAIN_APPS = ("annotation", "judging")


def domain_models():
    return [model for label in DOMAIN_APPS for model in apps.get_app_config(label).get_models()]


def build_campaign_data(slug, rubric, pairwise_rubric, annotators):
    """A likert campaign with a batch, rated and judged items, a draft and a skip, and a pairwise campaign."""
    campaign = Campaign.objects.create(slug=slug, name=f"評価 {slug}", rubric=rubric)
    batch = Batch.objects.create(campaign=campaign, number=1)
    assignments = [Assignment.objects.create(batch=batch, annotator=annotator) for annotator in annotators]
    for annotator in annotators:
        if annotator.user_id:
            CampaignMembership.objects.create(campaign=campaign, user_id=annotator.user_id, role="annotator")
    judge, _ = JudgeConfig.objects.get_or_create(name=f"{slug}-judge", defaults={"rubric": rubric, "is_external": True})
    models = [LanguageModel.objects.get_or_create(name=name)[0] for name in ("model-a", "model-b")]
    for number in range(3):
        prompt = Prompt.objects.create(source=slug, external_id=f"q{number}", turns=[f"質問{number}"])
        ChecklistItem.objects.create(prompt=prompt, position=0, text="富士山と答えているか")
        responses = [Response.objects.create(prompt=prompt, model=model, turns=["回答"]) for model in models]
        for response in responses:
            item = Item.objects.create(campaign=campaign, response=response, batch=batch, position=number)
            for annotator, assignment in zip(annotators, assignments):
                rate_item(item, annotator, assignment, rubric)
            verdict = Verdict.objects.create(judge=judge, item=item, rationale="妥当")
            VerdictScore.objects.bulk_create(VerdictScore(verdict=verdict, axis=axis, score=4) for axis in rubric.axes.all())
            VerdictCheck.objects.create(verdict=verdict, checklist_item=prompt.checklist.get(), checked=False)
    judge_job_rows(campaign, rubric, item)
    generation_job_rows(campaign, item)
    Draft.objects.create(item=item, annotator=annotators[0], scores={"overall": 3})
    lead = User.objects.get_or_create(username=f"{slug}-lead")[0]
    adjudication = Adjudication.objects.create(item=item, adjudicator=lead, note="q1 の裁定")
    AdjudicationScore.objects.bulk_create(AdjudicationScore(adjudication=adjudication, axis=axis, score=4)
                                          for axis in rubric.axes.all())
    Skip.objects.create(item=item, annotator=annotators[0], reason=Skip.Reason.CANNOT_JUDGE, note="専門外")
    pairwise = Campaign.objects.create(slug=f"{slug}-ab", name=f"一対比較 {slug}", rubric=pairwise_rubric)
    Item.objects.create(campaign=pairwise, response=responses[0], response_b=responses[1])
    lead = User.objects.get_or_create(username=f"{slug}-lead")[0]
    Upload.objects.create(kind=Upload.Kind.RATINGS, campaign=campaign, file_name="q1-ratings.jsonl", path="/gone",
                          size=10, created_by=lead, status=Upload.Status.FAILED, errors=["q1-ratings.jsonl:1: x: y"])
    exam_rows(f"{slug}-exam", models[0])
    GoldAnswer.objects.create(item=item, scores={"overall": 4}, tolerance=1, explanation="q1 の正解")
    GoldPauseLift.objects.create(campaign=campaign, annotator=annotators[0], misses_forgiven=2, lifted_by=lead)
    series_rows(slug)


def series_rows(slug):
    """A model series with a checkpoint, a task, its score and per-example outcomes."""
    series = ModelSeries.objects.create(name=f"{slug}-series", family="llm-jp", size="13B")
    checkpoint = LanguageModel.objects.create(name=f"{slug}-series-step1000", series=series, step=1000)
    task = SeriesTask.objects.create(series=series, key="q1-jcommonsenseqa", category="QA", example_ids=["e1", "e2"])
    TaskScore.objects.create(model=checkpoint, task=task, metric="acc", score=0.5)
    ExampleOutcomes.objects.create(model=checkpoint, task=task, correct=bytes([1, 0]))


def exam_rows(slug, model):
    """An exam campaign's exam and questions, and a model's answer to one of them."""
    question = ExamQuestion.objects.filter(exam__campaign=exam_campaign(slug)).first()
    response, _ = Response.objects.get_or_create(prompt=question.prompt, model=model, defaults={"turns": ["答え: 1"]})
    ExamAnswer.objects.create(question=question, response=response, examinee=model, answer=[1])


def judge_job_rows(campaign, rubric, item):
    """A judge job of an endpoint config with one unit, one call and its cached answer."""
    config, _ = JudgeConfig.objects.get_or_create(
        name=f"{campaign.slug}-gpt", defaults={"rubric": rubric, "base_url": "http://127.0.0.1:9/v1",
                                               "model": "judge-model", "template": "quality"})
    job = JudgeJob.objects.create(campaign=campaign, config=config, spec={}, total=1)
    JudgeUnit.objects.create(job=job, item=item)
    key = hashlib.sha256(campaign.slug.encode()).hexdigest()
    JudgeCall.objects.create(job=job, item=item, outcome=JudgeCall.Outcome.OK, cache_key=key)
    JudgeCacheEntry.objects.create(key=key, content='{"overall": 4}')


def generation_job_rows(campaign, item):
    """A model endpoint's generation job over a listed prompt: a unit, a call and the response it made."""
    prompt = item.response.prompt
    CampaignPrompt.objects.create(campaign=campaign, prompt=prompt)
    endpoint, _ = ModelEndpoint.objects.get_or_create(
        name=f"{campaign.slug}-model", defaults={"language_model": LanguageModel.objects.get_or_create(
            name=f"{campaign.slug}-generated")[0], "base_url": "http://127.0.0.1:9/v1", "model": "m"})
    job = GenerationJob.objects.create(campaign=campaign, endpoint=endpoint, spec={}, total=1)
    GenerationUnit.objects.create(job=job, prompt=prompt)
    GenerationCall.objects.create(job=job, prompt=prompt, outcome=GenerationCall.Outcome.OK)
    response = Response.objects.create(prompt=prompt, model=endpoint.language_model, turns=["生成した回答"])
    Generation.objects.create(job=job, endpoint=endpoint, prompt=prompt, response=response, status="ok",
                              base_url=endpoint.base_url)


def rate_item(item, annotator, assignment, rubric):
    """A rating in its slot, with a score per axis and one earlier revision."""
    rating = Rating.objects.create(item=item, annotator=annotator, comment="良い", revision=2)
    RatingScore.objects.bulk_create(RatingScore(rating=rating, axis=axis, score=3) for axis in rubric.axes.all())
    RatingRevision.objects.create(rating=rating, revision=1, scores={"overall": 2}, submitted_at=rating.submitted_at)
    RatingCheck.objects.create(rating=rating, checklist_item=item.response.prompt.checklist.get(), checked=True)
    ItemSlot.objects.create(campaign=item.campaign, item=item, annotator=annotator, assignment=assignment,
                            rating=rating, position=item.position)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher takes a large part of a second per user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("sara", "sara@example.org", "sara-password")


@pytest.fixture
def pairwise_rubric(db):
    return Rubric.objects.create(key="ab-tie", name="A/B/tie", kind=Rubric.Kind.PAIRWISE, verdicts=["A", "B", "tie"])


@pytest.fixture
def admin_data(quality_rubric, pairwise_rubric, annotator, other_annotator):
    build_campaign_data("jp", quality_rubric, pairwise_rubric, [annotator.annotator, other_annotator.annotator])


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_every_domain_model_is_in_the_admin():
    missing = [model.__name__ for model in domain_models() if not admin.site.is_registered(model)]

    assert missing == [], f"register these models in their app's admin.py: {missing}"


@pytest.mark.parametrize("model", domain_models(), ids=lambda model: model.__name__)
def test_changelist_search_and_change_page_open(admin_client, admin_data, model):
    assert model.objects.exists(), f"the test data has no {model.__name__}"

    assert admin_client.get(changelist_url(model)).status_code == 200
    assert admin_client.get(changelist_url(model), {"q": "q1"}).status_code == 200
    assert admin_client.get(change_url(model.objects.first())).status_code == 200


def test_changelist_query_counts_do_not_grow_with_rows(admin_client, admin_data, quality_rubric, pairwise_rubric):
    before = {model.__name__: changelist_query_count(admin_client, model) for model in domain_models()}
    vendor = Annotator.objects.create(handle="vendor-1", is_external=True)
    build_campaign_data("more", quality_rubric, pairwise_rubric, [vendor])

    after = {model.__name__: changelist_query_count(admin_client, model) for model in domain_models()}

    assert {name: (before[name], count) for name, count in after.items() if count != before[name]} == {}


def changelist_query_count(client, model):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(changelist_url(model)).status_code == 200
    return len(queries.captured_queries)


def test_builtin_rubric_is_read_only(admin_client, quality_rubric):
    page = admin_client.get(change_url(quality_rubric)).content.decode()

    assert 'name="_save"' not in page
    assert admin_client.post(change_url(quality_rubric), {"name": "changed"}).status_code == 403
    assert Rubric.objects.get(key="quality-5x5").name != "changed"


def test_used_rubric_and_its_axes_are_read_only(admin_client, admin_data, annotator):
    used = Rubric.objects.create(key="used-one", name="Used")
    axis = RubricAxis.objects.create(rubric=used, key="overall", label_ja="総合", label_en="Overall")
    campaign = Campaign.objects.create(slug="uses-it", name="Uses it", rubric=used)
    item = Item.objects.create(campaign=campaign, response=Response.objects.first())
    Rating.objects.create(item=item, annotator=annotator.annotator)

    assert 'name="_save"' not in admin_client.get(change_url(used)).content.decode()
    assert 'name="_save"' not in admin_client.get(change_url(axis)).content.decode()
    assert admin_client.post(change_url(used), {"key": "used-one", "name": "Renamed"}).status_code == 403


def test_unused_custom_rubric_can_be_edited(admin_client, db):
    rubric = Rubric.objects.create(key="draft-rubric", name="Draft")
    RubricAxis.objects.create(rubric=rubric, key="overall", label_ja="総合", label_en="Overall")

    assert 'name="_save"' in admin_client.get(change_url(rubric)).content.decode()


def test_ratings_and_verdicts_are_records_not_edited_by_hand(admin_client, admin_data):
    for obj in (Rating.objects.first(), Verdict.objects.first()):
        page = admin_client.get(change_url(obj)).content.decode()
        assert 'name="_save"' not in page and "deletelink" not in page
        assert "良い" in page or "妥当" in page


def test_an_exam_questions_answer_form_set_in_the_admin_must_fit_its_correct_answer(admin_client):
    """Q2 of the test exam is two blanks ("3,1"): a set in any order fits it, one choice does not."""
    question = ExamQuestion.objects.get(exam__campaign=exam_campaign("chem"), question_id="Q2")

    refused = admin_client.post(change_url(question), {"answer_form": "single"})
    assert refused.status_code == 200
    assert "single does not fit a correct answer of 2 choices (give ordered or unordered)" in refused.content.decode()
    question.refresh_from_db()
    assert question.answer_form == "ordered"

    assert admin_client.post(change_url(question), {"answer_form": "unordered"}).status_code == 302
    question.refresh_from_db()
    assert question.answer_form == "unordered"

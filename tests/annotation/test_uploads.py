"""Uploads through the API (the browser's widget uses the same endpoints): the import runs as a Celery task,
eager here (tests/annotation/test_upload_worker.py runs one on a real worker), with the import commands'
all-or-nothing rule and every bad record listed."""

import gzip
import json

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import Annotator, Campaign, CampaignMembership, Rating, Rubric, Upload
from annotation.services import responses_import
from judging.models import Verdict
from tests.conftest import make_user

from .test_imports import response_records, table_counts


@pytest.fixture(autouse=True)
def eager(settings, tmp_path, celery_eager):
    settings.HYOKA_UPLOAD_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads" / "incoming"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir(parents=True)


@pytest.fixture
def as_lead(lead):
    client = APIClient()
    client.force_authenticate(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def jsonl(records):
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()


def named(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def upload(client, campaign, name, content, django_capture_on_commit_callbacks, **fields):
    """POST the file; return (answer of the POST, the upload as its API shows it once the import ended)."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/campaigns/{campaign.slug}/uploads/",
                             {"file": named(name, content), "kind": "responses", **fields}, format="multipart")
    if answer.status_code != 202:
        return answer, None
    return answer, client.get(f"/api/uploads/{answer.json()['id']}/").json()


def test_a_good_upload_imports_the_file_and_says_what_it_made(as_lead, campaign, django_capture_on_commit_callbacks):
    answer, done = upload(as_lead, campaign, "responses.jsonl", jsonl(response_records(prompts=3)),
                          django_capture_on_commit_callbacks)

    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert done["status"] == "done" and done["progress"] == 1.0 and done["errors"] == []
    assert "6 records: created 2 models, 3 prompts, 6 responses, 6 items" in done["summary"]
    assert campaign.items.count() == 6


def test_the_imported_file_is_deleted(as_lead, campaign, django_capture_on_commit_callbacks, settings):
    upload(as_lead, campaign, "responses.csv.gz", gzip.compress(
        b"prompt_id,prompt,model,response\nq1,Why?,m1,Because.\n"), django_capture_on_commit_callbacks)
    assert campaign.items.count() == 1
    assert [path.name for path in settings.HYOKA_UPLOAD_DIR.iterdir()] == ["incoming"]
    assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []


def test_bad_lines_are_listed_first_fifty_and_the_count_and_nothing_is_written(
        as_lead, campaign, django_capture_on_commit_callbacks):
    records = response_records(prompts=40)  # 80 records, of which 60 lose their prompt and one is not JSON
    for record in records[:60]:
        del record["prompt"]
    lines = jsonl(records).splitlines(keepends=True)
    lines[70] = b"{not json\n"
    before = table_counts()

    _, failed = upload(as_lead, campaign, "responses.jsonl", b"".join(lines), django_capture_on_commit_callbacks)

    assert failed["status"] == "failed" and failed["error_count"] == 61 and len(failed["errors"]) == 50
    assert failed["errors"][0] == "responses.jsonl:1: prompt: is required (or give 'turns' as a list)"
    assert failed["errors"][49] == "responses.jsonl:50: prompt: is required (or give 'turns' as a list)"
    assert table_counts() == before and campaign.items.count() == 0


def test_the_page_lists_the_errors_that_the_api_gives(client, lead, campaign, django_capture_on_commit_callbacks):
    client.force_login(lead)
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert 'id="upload-file"' in page and 'id="upload-kind"' in page and "js/upload.js" in page


@override_settings(HYOKA_UPLOAD_MAX_BYTES=1000)
def test_a_file_over_the_size_limit_is_refused_with_the_limit_and_nothing_is_kept(
        as_lead, campaign, django_capture_on_commit_callbacks, settings):
    content = jsonl(response_records(prompts=30))
    assert len(content) > 1000
    answer, _ = upload(as_lead, campaign, "responses.jsonl", content, django_capture_on_commit_callbacks)

    assert answer.status_code == 413
    assert answer.json()["detail"] == "The file is larger than 1000\xa0bytes, the most an upload may be."
    assert Upload.objects.count() == 0 and campaign.items.count() == 0
    assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []


@override_settings(HYOKA_UPLOAD_MAX_BYTES=10)
def test_a_body_announced_over_the_limit_is_not_read(as_lead, campaign):
    answer = as_lead.post(f"/api/campaigns/{campaign.slug}/uploads/", b"x" * (1024 * 1024 + 100),
                          content_type="multipart/form-data; boundary=zzz")
    assert answer.status_code == 413 and "the most an upload may be" in answer.json()["detail"]


def test_a_file_in_a_format_that_cannot_be_told_is_refused_at_once(as_lead, campaign, django_capture_on_commit_callbacks):
    answer, _ = upload(as_lead, campaign, "responses.xlsx", b"PK\x03\x04", django_capture_on_commit_callbacks)
    assert answer.status_code == 400
    assert answer.json()["detail"] == "responses.xlsx: format: cannot tell the format from '.xlsx'; use .jsonl or .csv"
    assert Upload.objects.count() == 0


def test_csv_sent_as_json_lines_names_the_lines(as_lead, campaign, django_capture_on_commit_callbacks):
    _, failed = upload(as_lead, campaign, "responses.jsonl", b"prompt_id,prompt,model,response\nq1,Why?,m,So.\n",
                       django_capture_on_commit_callbacks)
    assert failed["status"] == "failed" and failed["error_count"] == 2
    assert failed["errors"][0].startswith("responses.jsonl:1: json: Expecting value")
    assert campaign.items.count() == 0


def test_a_gzip_that_is_not_gzip_is_named_and_nothing_is_written(as_lead, campaign, django_capture_on_commit_callbacks):
    _, failed = upload(as_lead, campaign, "responses.jsonl.gz", jsonl(response_records()),
                       django_capture_on_commit_callbacks)
    assert failed["status"] == "failed"
    assert failed["errors"] == ["responses.jsonl.gz: file: is not gzip-compressed, although its name ends in .gz"]
    assert campaign.items.count() == 0


def test_a_contradiction_with_stored_data_fails_the_whole_file(as_lead, campaign, django_capture_on_commit_callbacks,
                                                               tmp_path):
    stored = tmp_path / "first.jsonl"
    stored.write_bytes(jsonl(response_records(prompts=1)))
    responses_import(path=str(stored), campaign_slug=campaign.slug)
    changed = response_records(prompts=3)
    changed[1]["response"] = "別の答え"
    _, failed = upload(as_lead, campaign, "responses.jsonl", jsonl(changed), django_capture_on_commit_callbacks)
    assert failed["errors"] == ["responses.jsonl:2: response: model 'llm-b' already has a different response to "
                                "prompt 'q1'; a stored response is never overwritten"]
    assert campaign.items.count() == 2


def test_ratings_with_a_tier_for_the_whole_file(as_lead, campaign, django_capture_on_commit_callbacks, tmp_path):
    upload(as_lead, campaign, "responses.jsonl", jsonl(response_records(prompts=2)), django_capture_on_commit_callbacks)
    ratings = [{"prompt_id": "q1", "model": "llm-a", "annotator": "v1", "scores": {"overall": 4}},
               {"prompt_id": "q2", "model": "llm-b", "annotator": "v2", "scores": {"overall": 2}, "tier": "graduate"}]
    _, done = upload(as_lead, campaign, "ratings.jsonl", jsonl(ratings), django_capture_on_commit_callbacks,
                     kind="ratings", tier="vendor")
    assert done["status"] == "done", done
    assert dict(Annotator.objects.values_list("handle", "tier")) == {"v1": "vendor", "v2": "graduate"}
    assert Rating.objects.count() == 2


def test_verdicts_need_a_judge_name_and_import_under_it(as_lead, campaign, django_capture_on_commit_callbacks):
    upload(as_lead, campaign, "responses.jsonl", jsonl(response_records(prompts=2)), django_capture_on_commit_callbacks)
    verdicts = jsonl([{"prompt_id": "q1", "model": "llm-a", "scores": {"overall": 5}}])
    refused, _ = upload(as_lead, campaign, "verdicts.jsonl", verdicts, django_capture_on_commit_callbacks,
                        kind="verdicts")
    assert refused.status_code == 400 and refused.json()["detail"] == "Name the judge whose verdicts these are."
    _, done = upload(as_lead, campaign, "verdicts.jsonl", verdicts, django_capture_on_commit_callbacks,
                     kind="verdicts", judge="other-tool")
    assert done["status"] == "done" and Verdict.objects.get().judge.name == "other-tool"


def test_checklists_upload(as_lead, campaign, django_capture_on_commit_callbacks):
    upload(as_lead, campaign, "responses.jsonl", jsonl(response_records(prompts=1)), django_capture_on_commit_callbacks)
    _, done = upload(as_lead, campaign, "checklists.jsonl",
                     jsonl([{"prompt_id": "q1", "source": "demo-bench", "checklist": ["富士山と答えるか"]}]),
                     django_capture_on_commit_callbacks, kind="checklists")
    assert done["status"] == "done" and "created 1 checklist" in done["summary"], done


def test_a_rubric_upload_on_the_rubrics_page(client, lead, django_capture_on_commit_callbacks):
    client.force_login(lead)
    assert 'id="upload-file"' in client.get("/rubrics/").content.decode()
    definition = {"key": "summeval-4", "name": "SummEval", "kind": "likert",
                  "axes": [{"key": "coherence", "label": "Coherence", "criterion": "Well structured", "min": 1, "max": 5}]}
    api = APIClient()
    api.force_authenticate(lead)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/rubrics/uploads/", {"file": named("rubric.json.gz", gzip.compress(
            json.dumps(definition).encode()))}, format="multipart")
    assert answer.status_code == 202
    assert api.get(f"/api/uploads/{answer.json()['id']}/").json()["summary"] == "rubric summeval-4: created"
    assert Rubric.objects.get(key="summeval-4").axes.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        bad = api.post("/api/rubrics/uploads/", {"file": named("rubric.json", b'{"key": "x", "kind": "likert"}')},
                       format="multipart")
    failed = api.get(f"/api/uploads/{bad.json()['id']}/").json()
    assert failed["status"] == "failed" and failed["errors"][0].startswith("rubric.json:1: ")


@pytest.mark.parametrize("who", ["anonymous", "annotator", "researcher", "lead of another campaign"])
def test_only_leads_of_the_campaign_may_upload_or_follow_an_upload(who, campaign, as_lead, quality_rubric,
                                                                   django_capture_on_commit_callbacks):
    _, done = upload(as_lead, campaign, "responses.jsonl", jsonl(response_records(prompts=1)),
                     django_capture_on_commit_callbacks)
    client = APIClient()
    if who != "anonymous":
        user = make_user(who.split()[0] + "-x", {"lead of another campaign": "lead"}.get(who, who))
        if who == "annotator":
            CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        if who == "lead of another campaign":
            Campaign.objects.create(slug="theirs", name="theirs", rubric=quality_rubric, created_by=user)
        client.force_authenticate(user)
    answer = client.post(f"/api/campaigns/{campaign.slug}/uploads/",
                         {"file": named("responses.jsonl", jsonl(response_records(prompts=2))), "kind": "responses"},
                         format="multipart")
    # Members who are not leads are refused; others are not told that the campaign exists.
    refused = 403 if who in ("anonymous", "annotator") else 404
    assert answer.status_code == refused
    assert client.get(f"/api/uploads/{done['id']}/").status_code in (403, 404)
    assert client.get(f"/api/campaigns/{campaign.slug}/uploads/").status_code == refused
    assert campaign.items.count() == 2 and Upload.objects.count() == 1
    if who != "anonymous":
        page = APIClient()
        page.force_login(user)
        assert 'id="upload-file"' not in page.get(f"/campaigns/{campaign.slug}/").content.decode()


def test_a_token_holding_lead_can_upload_as_a_script_would(lead, campaign, django_capture_on_commit_callbacks):
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=lead).key}")
    answer, done = upload(client, campaign, "responses.jsonl", jsonl(response_records(prompts=1)),
                          django_capture_on_commit_callbacks)
    assert answer.status_code == 202 and done["status"] == "done"


def test_a_pair_needs_both_models(as_lead, campaign, django_capture_on_commit_callbacks):
    answer, _ = upload(as_lead, campaign, "responses.jsonl", jsonl(response_records(prompts=1)),
                       django_capture_on_commit_callbacks, model_a="llm-a")
    assert answer.status_code == 400 and answer.json()["detail"] == "A pair is two models: give both, or neither."
    assert Upload.objects.count() == 0

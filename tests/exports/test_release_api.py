"""The release API: published datasets for anyone with download URLs, and creating, watching, publishing and
withdrawing releases for the campaign's leads."""

import hashlib

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exports.models import Release
from exports.services import release_build, release_create, release_publish
from tests.exports.release_factories import rated_campaign, few_bootstrap_replicates  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(lead):
    return rated_campaign(lead=lead)


@pytest.fixture
def api():
    return APIClient()


def published(campaign, version="1.0.0", **options):
    release = release_build(release_id=release_create(campaigns=[campaign], version=version, queue=False,
                                                      **options).pk)
    return release_publish(release=release)


def test_anyone_lists_published_datasets_and_downloads_their_files_by_url(api, campaign):
    release = published(campaign)
    published(campaign, "2.0.0", restricted=True)
    listed = api.get(reverse("api_datasets")).json()
    assert [(d["name"], d["version"]) for d in listed] == [(release.name, "1.0.0")]
    assert listed[0]["rows"]["ratings"] == 110

    detail = api.get(listed[0]["url"]).json()
    assert detail["card"].startswith("---\nlicense: cc-by-4.0")
    files = {file["path"]: file for file in detail["files"]}
    assert files["data/ratings.parquet"]["rows"] == 110
    response = api.get(files["data/ratings.parquet"]["url"])
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == files["data/ratings.parquet"]["sha256"]


def test_restricted_datasets_need_a_researcher_token(api, campaign, researcher):
    release = published(campaign, restricted=True)
    url = reverse("api_dataset", args=[release.name, release.version])
    assert api.get(url).status_code == 404
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=researcher).key}")
    detail = api.get(url).json()
    assert detail["restricted"] is True
    assert api.get(detail["files"][0]["url"]).status_code == 200


def test_a_lead_creates_watches_publishes_and_withdraws_a_release(api, lead, campaign,
                                                                  django_capture_on_commit_callbacks):
    api.force_authenticate(lead)
    with django_capture_on_commit_callbacks() as queued:
        response = api.post(reverse("api_campaign_releases", args=[campaign.slug]),
                            {"version": "1.0.0", "title": "API release", "include_emails": True}, format="json")
    assert response.status_code == 202 and len(queued) == 1
    created = response.json()
    assert (created["status"], created["build_status"]) == ("draft", "queued")
    release = Release.objects.get(public_id=created["id"])
    assert release.include_emails and not release.include_usernames

    release_build(release_id=release.pk)
    status = api.get(reverse("api_release", args=[created["id"]])).json()
    assert (status["build_status"], status["build_progress"], status["stats"]["rows"]["items"]) == ("succeeded", 100, 12)
    assert api.post(reverse("api_release_publish", args=[created["id"]])).json()["status"] == "published"
    assert api.post(reverse("api_release_withdraw", args=[created["id"]]), {}, format="json").status_code == 400
    withdrawn = api.post(reverse("api_release_withdraw", args=[created["id"]]), {"reason": "wrong rubric"}, format="json")
    assert withdrawn.json()["status"] == "withdrawn"


def test_bad_requests_say_what_is_wrong(api, lead, campaign):
    api.force_authenticate(lead)
    url = reverse("api_campaign_releases", args=[campaign.slug])
    assert "semantic version" in api.post(url, {"version": "1"}, format="json").json()["detail"]
    api.post(url, {"version": "1.0.0"}, format="json")
    draft = Release.objects.get()
    assert "only a built draft" in api.post(reverse("api_release_publish", args=[draft.public_id])).json()["detail"]


def test_only_leads_of_the_campaign_use_the_lead_endpoints(api, campaign, annotator, researcher):
    release = release_create(campaigns=[campaign], version="1.0.0", queue=False)
    create = reverse("api_campaign_releases", args=[campaign.slug])
    assert api.post(create, {"version": "2.0.0"}, format="json").status_code in (401, 403)
    for user in (annotator, researcher):
        api.force_authenticate(user)
        assert api.post(create, {"version": "2.0.0"}, format="json").status_code == 404  # outside the campaign
        assert api.get(reverse("api_release", args=[release.public_id])).status_code == 404
        assert api.post(reverse("api_release_publish", args=[release.public_id])).status_code == 404
    assert Release.objects.count() == 1


def test_a_lead_deletes_a_draft_and_its_files_but_never_a_published_release(api, lead, annotator, campaign):
    from exports.services import release_folder

    draft = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)
    published = release_publish(release=release_build(
        release_id=release_create(campaigns=[campaign], version="2.0.0", queue=False).pk))
    folder = release_folder(draft)
    assert folder.is_dir()
    api.force_authenticate(annotator)
    assert api.delete(reverse("api_release", args=[draft.public_id])).status_code in (403, 404)
    api.force_authenticate(lead)
    refused = api.delete(reverse("api_release", args=[published.public_id]))
    assert refused.status_code == 400 and "cannot be discarded" in refused.json()["detail"]
    assert api.delete(reverse("api_release", args=[draft.public_id])).status_code == 204
    assert list(Release.objects.values_list("version", flat=True)) == ["2.0.0"]
    assert not folder.exists() and release_folder(published).is_dir()

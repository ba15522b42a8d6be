"""The lead's release pages: only the campaign's leads may make, watch, publish, withdraw or discard releases."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from exports.models import Release
from exports.services import release_build, release_create, release_publish
from tests.exports.release_factories import rated_campaign, few_bootstrap_replicates  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(lead):
    return rated_campaign(lead=lead)


@pytest.fixture
def other_lead(db):
    user = User.objects.create_user("olga", password="x")
    user.groups.add(Group.objects.get(name="lead"))
    return user


def built(campaign):
    return release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)


FORM = {"version": "1.0.0", "title": "JP quality", "license": "cc-by-4.0", "dpo_threshold": "1.5",
        "include_comments": "on"}


def test_a_lead_creates_a_release_from_the_form_and_its_build_is_queued(client, lead, campaign,
                                                                       django_capture_on_commit_callbacks):
    client.force_login(lead)
    assert client.get(reverse("campaign_releases", args=[campaign.slug])).status_code == 200
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("campaign_releases", args=[campaign.slug]),
                               {**FORM, "campaigns": [campaign.pk]})
    release = Release.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("release_manage", args=[release.public_id])
    assert len(queued) == 1
    assert (release.title, release.dpo_threshold, release.include_comments, release.include_emails) == (
        "JP quality", 1.5, True, False)
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page


def test_the_form_reports_a_bad_or_taken_version(client, lead, campaign):
    client.force_login(lead)
    url = reverse("campaign_releases", args=[campaign.slug])
    page = client.post(url, {**FORM, "version": "1.0", "campaigns": [campaign.pk]}).content.decode()
    assert "semantic version" in page or "セマンティック" in page
    # A published version is taken; a draft of it would be replaced (tests/exports/test_release_services.py).
    release_publish(release=release_build(release_id=release_create(campaigns=[campaign], version="1.0.0",
                                                                    queue=False).pk))
    page = client.post(url, {**FORM, "campaigns": [campaign.pk]}).content.decode()
    assert "exists already" in page
    assert Release.objects.count() == 1


def test_a_lead_publishes_then_withdraws_with_a_reason(client, lead, campaign):
    release = built(campaign)
    client.force_login(lead)
    client.post(reverse("release_publish", args=[release.public_id]))
    assert Release.objects.get().status == "published"
    client.post(reverse("release_withdraw", args=[release.public_id]), {"reason": ""})
    assert Release.objects.get().status == "published"
    client.post(reverse("release_withdraw", args=[release.public_id]), {"reason": "誤りが見つかりました"})
    release = Release.objects.get()
    assert (release.status, release.withdrawn_reason) == ("withdrawn", "誤りが見つかりました")


def test_only_leads_of_the_campaign_reach_the_release_pages(client, campaign, annotator, researcher, other_lead):
    release = built(campaign)
    pages = [reverse("campaign_releases", args=[campaign.slug]), reverse("release_manage", args=[release.public_id])]
    actions = [reverse(name, args=[release.public_id]) for name in
               ("release_publish", "release_withdraw", "release_rebuild", "release_discard")]
    for url in pages + actions:
        response = client.get(url) if url in pages else client.post(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url
    for user in (annotator, researcher, other_lead):
        client.force_login(user)
        assert client.get(pages[0]).status_code == 404  # outside the campaign: its existence is not theirs
        assert client.get(pages[1]).status_code == 404
        for url in actions:
            assert client.post(url, {"reason": "x"}).status_code == 404, url
        assert client.post(pages[0], {**FORM, "campaigns": [campaign.pk]}).status_code == 404
    assert Release.objects.get().status == "draft"


def test_a_lead_cannot_add_a_campaign_led_by_someone_else(client, lead, campaign, other_lead):
    foreign = rated_campaign(slug="foreign", lead=other_lead)
    client.force_login(lead)
    page = client.post(reverse("campaign_releases", args=[campaign.slug]),
                       {**FORM, "campaigns": [campaign.pk, foreign.pk]}).content.decode()
    assert Release.objects.count() == 0 and "errorlist" in page


def test_a_draft_is_discarded_and_get_does_not_change_anything(client, lead, campaign):
    release = built(campaign)
    client.force_login(lead)
    assert client.get(reverse("release_discard", args=[release.public_id])).status_code == 405
    response = client.post(reverse("release_discard", args=[release.public_id]))
    assert response["Location"] == reverse("campaign_releases", args=[campaign.slug])
    assert not Release.objects.exists()


def test_the_admin_shows_releases_and_their_files_but_not_the_secret(client, campaign):
    release = built(campaign)
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert client.get(reverse("admin:exports_release_changelist")).status_code == 200
    page = client.get(reverse("admin:exports_release_change", args=[release.pk])).content.decode()
    assert "data/ratings.parquet" in page and release.secret not in page


def test_the_leads_of_a_draft_download_its_files_to_check_them(client, lead, campaign, researcher):
    release = built(campaign)
    url = reverse("dataset_file", args=[release.name, release.version, "README.md"])
    client.force_login(researcher)
    assert client.get(url).status_code == 404
    client.force_login(lead)
    assert url in client.get(reverse("release_manage", args=[release.public_id])).content.decode()
    assert b"".join(client.get(url).streaming_content).decode() == release.card

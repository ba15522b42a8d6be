"""Researchers a lead granted access to a campaign read its report and download its unpublished releases;
researchers without a grant, the campaign's annotators and the leads of other campaigns do not."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from annotation.models import CampaignMembership
from annotation.services.memberships import campaign_member_add
from exports.models import Release
from exports.services import release_build, release_create
from tests.exports.release_factories import rated_campaign, few_bootstrap_replicates  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(lead):
    return rated_campaign(lead=lead)


@pytest.fixture
def granted(campaign, researcher):
    campaign_member_add(campaign=campaign, username=researcher.username, role=CampaignMembership.Role.RESEARCHER)
    return researcher


def user(name, group):
    person = User.objects.create_user(name, password="x")
    person.groups.add(Group.objects.get(name=group))
    return person


def draft_file_url(campaign):
    release = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)
    path = release.files.order_by("position", "path").first().path
    return release, reverse("dataset_file", args=[release.name, release.version, path])


def test_a_granted_researcher_reads_the_report_and_downloads_the_draft(client, campaign, granted):
    release, file_url = draft_file_url(campaign)
    client.force_login(granted)

    assert client.get(reverse("campaign_report", args=[campaign.slug]), {"replicates": 0}).status_code == 200
    assert client.get(reverse("api_agreement", args=[campaign.slug]), {"replicates": 0}).status_code == 200
    releases = client.get(reverse("campaign_releases", args=[campaign.slug])).content.decode()
    assert reverse("dataset_detail", args=[release.name, release.version]) in releases
    assert reverse("release_manage", args=[release.public_id]) not in releases and "release-form" not in releases
    assert client.get(reverse("dataset_detail", args=[release.name, release.version])).status_code == 200
    download = client.get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content)
    home = client.get(reverse("home")).content.decode()
    assert f'data-campaign="{campaign.slug}"' in home


def test_a_granted_researcher_cannot_act_as_a_lead(client, campaign, granted):
    release, _ = draft_file_url(campaign)
    client.force_login(granted)
    assert client.get(reverse("campaign_manage", args=[campaign.slug])).status_code == 403
    assert client.post(reverse("campaign_releases", args=[campaign.slug]), {"version": "2.0.0"}).status_code == 403
    assert client.post(reverse("release_publish", args=[release.public_id])).status_code == 404
    assert Release.objects.get().status == Release.Status.DRAFT and Release.objects.count() == 1


@pytest.mark.parametrize("who, report_status", [("ungranted", 404), ("annotator_member", 403), ("other_lead", 404),
                                                 ("anonymous", 302)])
def test_others_get_neither_report_nor_draft(client, campaign, who, report_status):
    _, file_url = draft_file_url(campaign)
    if who == "ungranted":
        client.force_login(user("ruth", "researcher"))
    elif who == "annotator_member":
        campaign_member_add(campaign=campaign, username=user("ann", "annotator").username)
        client.force_login(User.objects.get(username="ann"))
    elif who == "other_lead":
        other = user("olga", "lead")
        rated_campaign(slug="elsewhere", lead=other)
        client.force_login(other)
    assert client.get(reverse("campaign_report", args=[campaign.slug])).status_code == report_status
    assert client.get(reverse("campaign_releases", args=[campaign.slug])).status_code == report_status
    assert client.get(file_url).status_code in (401, 403, 404)

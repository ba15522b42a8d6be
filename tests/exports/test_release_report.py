"""A release's report (report.html): each campaign's report page rendered when the release was built, a file of
the release like the others, shown on the dataset's page to whoever may read the dataset. Its figures stay those
of the data the release holds while the campaign's report page moves on; annotators appear by the release's
pseudonyms only."""

import hashlib
import json
import re
import zipfile

import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from annotation.models import CampaignMembership, RatingScore
from annotation.services.memberships import campaign_member_add
from exports.models import Release
from exports.services import release_build, release_create, release_folder, release_publish, release_withdraw
from tests.exports.pairwise_factories import voted_campaign
from tests.exports.release_factories import (  # noqa: F401 (an autouse fixture)
    SECRET_USERS, VENDOR_HANDLE, few_bootstrap_replicates, rated_campaign,
)

pytestmark = pytest.mark.django_db

HANDLES = [name for name, _ in SECRET_USERS] + [VENDOR_HANDLE]
EMAILS = [email for _, email in SECRET_USERS]


@pytest.fixture
def campaign(lead):
    return rated_campaign(lead=lead)


def build(campaign, version="1.0.0", *, publish=True, **options):
    release = release_build(release_id=release_create(campaigns=[campaign], version=version, queue=False,
                                                      **options).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    return release_publish(release=release) if publish else release


def report_url(release):
    return reverse("dataset_report", args=[release.name, release.version])


def read_report(client, release):
    response = client.get(report_url(release))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def human_mean(html, axis, model):
    """The humans' mean score of `model` on `axis` in the axis's leaderboard (over every turn), as the page
    writes it (six decimals)."""
    section = re.search(rf'<section class="report-axis" id="axis-{axis}".*?</section>', html, re.S).group(0)
    row = re.search(rf'<tr data-model="{model}">.*?</tr>', section, re.S).group(0)
    return float(re.search(r'data-stat="human-mean".*?data-value="([-0-9.]+)"', row, re.S).group(1))


def alpha(html, axis):
    row = re.search(rf'<table[^>]*data-table="agreement".*?<tr data-axis="{axis}">(.*?)</tr>', html, re.S).group(1)
    return float(re.search(r'data-stat="alpha".*?data-value="([-0-9.]+)"', row, re.S).group(1))


def test_the_report_is_a_file_of_the_release_in_its_checksums_and_its_zip(campaign):
    release = build(campaign)
    folder = release_folder(release)
    digest = hashlib.sha256((folder / "report.html").read_bytes()).hexdigest()

    assert f"{digest}  report.html\n" in (folder / "SHA256SUMS").read_text()
    assert release.files.get(path="report.html").sha256 == digest
    with zipfile.ZipFile(folder / f"{release.name}-1.0.0.zip") as zipped:
        assert hashlib.sha256(zipped.read(f"{release.name}-1.0.0/report.html")).hexdigest() == digest
    assert "`report.html`" in (folder / "README.md").read_text()


def test_the_report_keeps_the_figures_of_the_data_it_was_built_on(client, campaign, lead):
    release = build(campaign)
    built = read_report(client, release)
    # model-c's overall scores by item (fixture): (5, 4), (4, 4), (5, 5): item means 4.5, 4, 5.
    assert human_mean(built, "overall", "model-c") == pytest.approx(4.5)
    agreement = json.loads((release_folder(release) / "agreement.json").read_text())
    assert alpha(built, "overall") == pytest.approx(agreement["campaigns"][0]["axes"]["overall"]["alpha"]["value"],
                                                    abs=1e-6)

    # One of the 5s on model-c's third prompt becomes a 1: that item's mean is 3, the model's (4.5 + 4 + 3) / 3.
    score = RatingScore.objects.filter(rating__item__campaign=campaign, rating__item__response__model__name="model-c",
                                       rating__item__response__prompt__external_id="q2", axis__key="overall").first()
    score.score = 1
    score.save()

    client.force_login(lead)
    campaign_page = client.get(reverse("campaign_report", args=[campaign.slug]), {"replicates": 0}).content.decode()
    assert human_mean(campaign_page, "overall", "model-c") == pytest.approx(11.5 / 3)
    assert read_report(client, release) == built


def estimates(html, table, stat):
    """{axis: (value, "[low, high]" as shown)} of one statistic in one of the report's tables."""
    found = {}
    for axis, row in re.findall(rf'<tr data-axis="([^"]+)">(.*?)</tr>', re.search(
            rf'<table[^>]*data-table="{table}".*?</table>', html, re.S).group(0), re.S):
        cell = re.search(rf'data-stat="{stat}".*?</td>', row, re.S).group(0)
        value = re.search(r'data-value="([-0-9.]+)"', cell)
        interval = re.search(r'<span class="interval">(\[[^]]*\])</span>', cell)
        found[axis] = (float(value.group(1)), interval.group(1)) if value and interval else None
    return found


def shown(estimate):
    return (pytest.approx(estimate["value"], abs=1e-6), f"[{estimate['low']:.3f}, {estimate['high']:.3f}]")


def test_the_report_shows_the_figures_of_the_release_files_computed_once(campaign, monkeypatch):
    from exports.reports import likert_page

    def computed_again(*args, **kwargs):
        raise AssertionError("the release's report computed its figures again")

    monkeypatch.setattr(likert_page, "likert_figures", computed_again)
    release = build(campaign)
    folder = release_folder(release)
    html = (folder / "report.html").read_text()
    agreed = json.loads((folder / "agreement.json").read_text())["campaigns"][0]["axes"]
    judged = json.loads((folder / "meta_eval.json").read_text())["campaigns"][0]["judges"][0]

    # Every axis's alpha with its interval, as agreement.json has them (its own resampling per axis).
    assert estimates(html, "agreement", "alpha") == {
        axis: shown(figures["alpha"]) for axis, figures in agreed.items() if figures["alpha"]["value"] is not None}
    # The judge against the humans, as meta_eval.json has it.
    assert f'<h2 id="judge">Judge against humans: <code>{judged["judge"]}</code></h2>' in html
    assert estimates(html, "meta-eval", "pearson") == {
        axis: shown(figures["instance"]["pearson"]) for axis, figures in judged["axes"].items()
        if "instance" in figures}


def test_the_report_names_annotators_by_the_release_pseudonyms_only(client, campaign):
    release = build(campaign, include_usernames=True, include_emails=True)  # the tables name them; the report not
    html = read_report(client, release)
    ratings = pd.read_parquet(release_folder(release) / "data" / "ratings.parquet")

    shown = set(re.findall(r'<tr data-annotator="([^"]+)"', html))
    assert shown == set(ratings["annotator"]) and all(name.startswith("ann-") for name in shown)
    assert set(ratings["annotator_username"]) == set(HANDLES)
    for secret in HANDLES + EMAILS + ["@private.example"]:
        assert secret not in html


def test_a_pairwise_release_names_its_voters_by_their_pseudonyms(client, tmp_path):
    release = build(voted_campaign(tmp_path))
    html = read_report(client, release)
    votes = pd.read_parquet(release_folder(release) / "data" / "votes.parquet")

    shown = set(re.findall(r'<tr data-annotator="([^"]+)"', html))
    assert shown == set(votes["annotator"]) and len(shown) == 3
    assert 'data-table="ranking"' in html


def test_the_dataset_page_links_the_report_and_the_report_stands_alone(client, campaign):
    release = build(campaign, title="Release title")
    page = client.get(release.get_absolute_url()).content.decode()
    assert f'href="{report_url(release)}"' in page

    response = client.get(report_url(release))
    html = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert html.startswith("<!doctype html>") and "<code>1.0.0</code>" in html and "The report of Release title," in html and ".report-table" in html
    assert "<script" not in html and "<link" not in html and "<form" not in html
    assert re.findall(r'href="([^"]*)"', html) and not re.findall(r'href="([^"#][^"]*)"', html)  # in-page only
    for section in ('data-table="agreement"', 'data-table="annotators"', 'data-table="meta-eval"',
                    'data-table="leaderboard"', 'data-chart="distribution"'):
        assert section in html


def test_readers_of_a_published_release_read_its_report(client, campaign, researcher):
    public, restricted = build(campaign), build(campaign, "2.0.0", restricted=True)

    assert client.get(report_url(public)).status_code == 200
    response = client.get(report_url(restricted))
    assert response.status_code == 302 and reverse("login") in response["Location"]

    client.force_login(researcher)
    assert client.get(report_url(public)).status_code == 200
    assert client.get(report_url(restricted)).status_code == 200


def test_a_draft_report_is_read_by_its_leads_and_granted_researchers_only(client, campaign, lead, researcher):
    draft = build(campaign, publish=False)
    outsider = User.objects.create_user("otto", password="x")
    outsider.groups.add(Group.objects.get(name="researcher"))

    assert client.get(report_url(draft)).status_code == 404
    client.force_login(outsider)
    assert client.get(report_url(draft)).status_code == 404
    campaign_member_add(campaign=campaign, username=researcher.username, role=CampaignMembership.Role.RESEARCHER)
    client.force_login(researcher)
    assert client.get(report_url(draft)).status_code == 200
    client.force_login(lead)
    assert client.get(report_url(draft)).status_code == 200
    manage = client.get(reverse("release_manage", args=[draft.public_id])).content.decode()
    assert f'href="{report_url(draft)}"' in manage


def test_a_withdrawn_release_no_longer_serves_its_report(client, campaign):
    release = release_withdraw(release=build(campaign), reason="A scoring error.")

    response = client.get(report_url(release))
    assert response.status_code == 302 and response["Location"] == release.get_absolute_url()
    page = client.get(release.get_absolute_url()).content.decode()
    assert "A scoring error." in page and report_url(release) not in page


def test_a_release_without_a_report_links_none(client, campaign, lead):
    draft = build(campaign, publish=False)
    draft.files.filter(path="report.html").delete()  # as a release built before releases had reports
    client.force_login(lead)

    assert report_url(draft) not in client.get(draft.get_absolute_url()).content.decode()
    assert client.get(report_url(draft)).status_code == 404


def test_a_build_during_which_ratings_change_fails_and_says_why(campaign, monkeypatch):
    from exports.services import build as build_module

    real = build_module.write_checklist_tables

    def rated_meanwhile(ctx):  # between the tables and the report, an annotator revises a score
        RatingScore.objects.filter(rating__item__campaign=campaign).update(score=1)
        return real(ctx)

    monkeypatch.setattr(build_module, "write_checklist_tables", rated_meanwhile)
    release = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)

    assert release.build_status == Release.BuildStatus.FAILED
    assert f"the ratings, verdicts or answers of {campaign.slug} changed while" in release.build_error

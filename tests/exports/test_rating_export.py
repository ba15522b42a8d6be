"""The quick export of a campaign's ratings: JSON Lines or CSV, streamed, from the API (leads of the campaign)
and the export_ratings command, whole or since a time, for both kinds."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotation.models import CampaignMembership, Rating
from tests.exports.pairwise_factories import vote_records, voted_campaign
from tests.exports.release_factories import AXES, COMMENT_MARK, OVERALL, rated_campaign

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
RATINGS = sum(len(scores) for per_model in OVERALL.values() for scores in per_model.values())


@pytest.fixture
def likert(lead):
    campaign = rated_campaign()
    CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
    return campaign


def export(client, campaign, **query):
    response = client.get(reverse("api_campaign_ratings", args=[campaign.slug]), query)
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def test_a_lead_gets_every_rating_of_a_likert_campaign_as_json_lines(client, lead, likert):
    client.force_login(lead)
    response, body = export(client, likert)
    assert response["Content-Type"].startswith("application/jsonl")
    records = [json.loads(line) for line in body.splitlines()]
    assert len(records) == RATINGS == Rating.objects.filter(item__campaign=likert).count()
    first = records[0]
    assert list(first) == ["campaign", "item_id", "prompt_id", "annotator", "comment", "seconds_spent", "revision",
                           "submitted_at", "revised_at", "model", "scores"]
    assert (first["campaign"], first["prompt_id"], first["model"]) == (likert.slug, "q0", "model-a")
    assert list(first["scores"]) == list(AXES) and first["scores"]["overall"] == OVERALL[0]["model-a"][0]
    assert first["comment"].startswith(COMMENT_MARK) and first["revision"] == 1
    stored = sorted(Rating.objects.filter(item__campaign=likert).values_list("public_id", flat=True))
    assert sorted({record["item_id"] for record in records}) == sorted(
        {str(item) for item in likert.items.filter(ratings__public_id__in=stored).values_list("public_id", flat=True)})


def test_csv_has_a_header_and_a_column_per_axis(client, lead, likert):
    client.force_login(lead)
    response, body = export(client, likert, output="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == RATINGS
    assert list(rows[0])[-6:] == ["model", *(f"scores.{axis}" for axis in AXES)]
    assert rows[0]["scores.overall"] == str(OVERALL[0]["model-a"][0]) and rows[0]["revised_at"] == ""


def test_since_keeps_the_ratings_made_or_revised_at_that_time_or_later(client, lead, likert):
    ratings = Rating.objects.filter(item__campaign=likert).order_by("pk")
    long_ago = timezone.now() - timedelta(days=30)
    ratings.update(submitted_at=long_ago)
    revised = ratings[0]
    Rating.objects.filter(pk=revised.pk).update(revised_at=timezone.now(), revision=2)
    client.force_login(lead)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    _, body = export(client, likert, since=since)
    assert [json.loads(line)["revision"] for line in body.splitlines()] == [2]
    _, body = export(client, likert, since=(long_ago - timedelta(days=1)).date().isoformat())
    assert len(body.splitlines()) == RATINGS


def test_a_bad_since_or_format_is_a_400_naming_it(client, lead, likert):
    client.force_login(lead)
    url = reverse("api_campaign_ratings", args=[likert.slug])
    assert "is not a date or time" in client.get(url, {"since": "yesterday"}).json()["detail"]
    assert "output" in client.get(url, {"output": "xlsx"}).json()


def test_only_the_campaigns_leads_may_export(client, annotator, likert):
    client.force_login(annotator)
    assert client.get(reverse("api_campaign_ratings", args=[likert.slug])).status_code in (403, 404)
    assert APIClient().get(reverse("api_campaign_ratings", args=[likert.slug])).status_code in (401, 403)


def test_a_pairwise_export_reads_back_into_a_campaign_as_the_same_votes(tmp_path, lead):
    campaign = voted_campaign(tmp_path, lead=lead, judge=False)
    out = io.StringIO()
    call_command("export_ratings", "--campaign", campaign.slug, stdout=out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(vote_records())
    assert {key for record in records for key in record} >= {"model_a", "model_b", "verdict", "annotator"}
    stored = {(r.item.public_id.hex, r.annotator.handle, r.verdict) for r in
              Rating.objects.filter(item__campaign=campaign).select_related("item", "annotator")}
    assert {(record["item_id"].replace("-", ""), record["annotator"], record["verdict"]) for record in records} == stored
    from annotation.services import ratings_import

    path = tmp_path / "exported.jsonl"
    path.write_text(out.getvalue())
    summary = ratings_import(path=str(path), campaign_slug=campaign.slug)  # the same votes: nothing new
    assert Rating.objects.filter(item__campaign=campaign).count() == len(records), summary


def test_the_command_writes_a_file_by_its_suffix_and_refuses_a_bad_since(tmp_path, likert):
    target = tmp_path / "ratings.csv"
    call_command("export_ratings", "--campaign", likert.slug, "--output", str(target))
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == RATINGS
    assert not (tmp_path / "ratings.csv.part").exists()
    with pytest.raises(Exception, match="since: 'soon' is not a date or time"):
        call_command("export_ratings", "--campaign", likert.slug, "--since", "soon")


def test_from_a_shell_an_unknown_campaign_exits_1_with_one_line():
    from tests.test_light_processes import database_url

    result = subprocess.run([sys.executable, "manage.py", "export_ratings", "--campaign", "nope", "--skip-checks"],
                            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url()}, capture_output=True,
                            text=True, timeout=120)
    assert (result.returncode, result.stderr) == (1, "no campaign nope\n")


# On PostgreSQL the database writes each line; elsewhere Python does (exports.rating_export). Both must give the
# same bytes on the same data, for every kind and format, with the texts and values that need escaping or quoting.
AWKWARD = ['say "yes", then\nno', "back\\slash\ttab\r\nCRLF", "ctrl\x01\x1f\x7f end", "日本語の,カンマ",
           "\u2028 line separator", ""]


def awkward_ratings(campaign):
    """Comments that need escaping in JSON or quoting in CSV, revisions with and without microseconds, a rating
    with no seconds and one with a score missing (likert)."""
    ratings = list(Rating.objects.filter(item__campaign=campaign).order_by("pk"))
    moment = timezone.now().replace(microsecond=0)
    for number, rating in enumerate(ratings[:len(AWKWARD)]):
        Rating.objects.filter(pk=rating.pk).update(
            comment=AWKWARD[number], seconds_spent=None if number == 1 else 7,
            revised_at=moment + timedelta(microseconds=number * 1230) if number % 2 else None,
            submitted_at=moment - timedelta(days=number, microseconds=number))
    from annotation.models import RatingScore

    RatingScore.objects.filter(rating=ratings[2], axis__position=1).delete()
    return ratings


@pytest.mark.parametrize("output", ["jsonl", "csv"])
@pytest.mark.parametrize("kind", ["likert", "pairwise", "exam"])
def test_the_sql_path_writes_the_same_bytes_as_the_python_path(tmp_path, output, kind):
    from exports.rating_export import python_export, sql_export
    from tests.exports.exam_report_factories import answered_exam_campaign

    campaign = {"likert": rated_campaign, "exam": answered_exam_campaign,
                "pairwise": lambda: voted_campaign(tmp_path, judge=False)}[kind]()
    ratings = awkward_ratings(campaign)
    in_python = "".join(python_export(campaign, output))
    assert "".join(sql_export(campaign, output)) == in_python
    assert len(in_python.encode()) > 100 * len(AWKWARD)
    since = ratings[3].submitted_at + timedelta(microseconds=1)  # keeps ratings[3] only by its revision
    assert "".join(sql_export(campaign, output, since)) == "".join(python_export(campaign, output, since))


def test_the_awkward_texts_read_back_as_they_were_from_both_formats(client, lead, likert):
    ratings = awkward_ratings(likert)
    client.force_login(lead)
    _, body = export(client, likert)
    records = [json.loads(line) for line in body.split("\n")[:-1]]  # not splitlines(): U+2028 is not escaped
    assert [record["comment"] for record in records[:len(AWKWARD)]] == AWKWARD
    assert records[1]["seconds_spent"] is None and records[1]["revised_at"].endswith(".001230+00:00")
    assert "." not in records[0]["submitted_at"] and records[0]["revised_at"] is None
    assert list(records[2]["scores"]) == [axis for number, axis in enumerate(AXES) if number != 1]
    _, body = export(client, likert, output="csv")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [row["comment"] for row in rows[:len(AWKWARD)]] == AWKWARD and len(rows) == len(ratings)
    assert rows[2][f"scores.{list(AXES)[1]}"] == "" and rows[1]["seconds_spent"] == ""

"""An annotator's "my ratings" page in an exam campaign: each answer in the exam's labels, at a cost that does not
grow with the number of answers."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation.models import CampaignMembership
from tests.exports.exam_report_factories import answered_exam_campaign

pytestmark = pytest.mark.django_db


def my_ratings(client, campaign, handle):
    user = User.objects.get(username=handle)
    CampaignMembership.objects.get_or_create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/campaigns/{campaign.slug}/my-ratings/").content.decode()
    return html, len(queries)


def test_answers_are_shown_in_the_exams_labels_with_no_query_per_answer(client, tmp_path):
    campaign = answered_exam_campaign(folder=tmp_path)
    alice_page, alice_queries = my_ratings(client, campaign, "alice")  # three answers
    bob_page, bob_queries = my_ratings(client, campaign, "bob")  # two
    for label in ("①", "③, ①", "②, ④"):  # Q1 "1", Q2 "3,1", Q3 "2,4"
        assert f">{label}<" in alice_page.replace(" <", "<").replace("> ", ">")
    assert alice_queries == bob_queries

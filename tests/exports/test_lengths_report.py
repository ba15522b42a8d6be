"""The answer lengths of a pairwise campaign on the report page and through the API, against counts made here
from the stored responses, votes and verdicts."""

import pytest
from rest_framework.test import APIClient

from annotation.models import Item, Prompt, Rating
from judging.models import Verdict

from .pairwise_factories import voted_campaign
from .report_factories import rated_campaign

pytestmark = pytest.mark.django_db
CATEGORIES = {"q1": "Simplicity", "q2": "Simplicity", "q3": "Detailed", "q4": "Detailed", "q5": "Formality"}


@pytest.fixture
def campaign(tmp_path, lead):
    campaign = voted_campaign(tmp_path, lead=lead)
    for prompt in Prompt.objects.filter(responses__items__campaign=campaign).distinct():
        if prompt.external_id in CATEGORIES:
            Prompt.objects.filter(pk=prompt.pk).update(context="5歳の子供に向けて",
                                                       metadata={"context_category": CATEGORIES[prompt.external_id]})
    return campaign


def length(response):
    return sum(len(turn) for turn in response.turns)


def longer_won(verdict, item):
    a, b = length(item.response), length(item.response_b)
    if verdict not in ("A", "B") or a == b:
        return None
    return verdict == ("A" if a > b else "B")


def counted(outcomes):
    decided = [outcome for outcome in outcomes if outcome is not None]
    return sum(decided), len(decided)


def test_longer_wins_for_humans_and_judges_per_category(campaign, lead):
    api = APIClient()
    api.force_authenticate(lead)

    report = api.get(f"/api/campaigns/{campaign.slug}/lengths/").json()

    ratings = Rating.objects.filter(item__campaign=campaign).select_related("item__response", "item__response_b",
                                                                           "item__response__prompt")
    won, n = counted(longer_won(rating.verdict, rating.item) for rating in ratings)
    assert (report["longer_wins"]["humans"]["count"], report["longer_wins"]["humans"]["n"]) == (won, n)
    verdicts = Verdict.objects.filter(judge__name="pair-judge", parse_status="ok").select_related(
        "item__response", "item__response_b")
    won, n = counted(longer_won(verdict.verdict, verdict.item) for verdict in verdicts)
    assert (report["longer_wins"]["pair-judge"]["count"], report["longer_wins"]["pair-judge"]["n"]) == (won, n)
    categories = {found["category"]: found for found in report["categories"]}
    assert sorted(categories) == ["Detailed", "Formality", "Simplicity"]
    simple = [item for item in Item.objects.filter(campaign=campaign).select_related("response__prompt", "response",
                                                                                      "response_b")
              if CATEGORIES.get(item.response.prompt.external_id) == "Simplicity"]
    assert categories["Simplicity"]["n_items"] == len(simple)
    assert categories["Simplicity"]["mean_len_a"] == pytest.approx(sum(length(i.response) for i in simple) / len(simple))
    won, n = counted(longer_won(r.verdict, r.item) for r in ratings
                     if CATEGORIES.get(r.item.response.prompt.external_id) == "Simplicity")
    assert (categories["Simplicity"]["longer_wins"]["humans"]["count"],
            categories["Simplicity"]["longer_wins"]["humans"]["n"]) == (won, n)


def test_the_page_shows_the_table_and_the_scatter(client, lead, campaign):
    client.force_login(lead)
    html = client.get(f"/campaigns/{campaign.slug}/report/", {"replicates": 0}).content.decode()

    assert "回答の長さ" in html and 'data-table="length-categories"' in html
    scatter = html.split('data-chart="lengths"', 1)[1].split("</figure>", 1)[0]
    assert scatter.count("<circle") == Item.objects.filter(campaign=campaign, response__prompt__context__gt="").count()


def test_a_likert_campaign_has_no_length_report(tmp_path, lead):
    campaign = rated_campaign(tmp_path, prompts=3, lead=lead)
    api = APIClient()
    api.force_authenticate(lead)
    assert api.get(f"/api/campaigns/{campaign.slug}/lengths/").status_code == 400

"""The report page and the agreement report state how many raters each item really has (imported raters
included, unrated items as none), never the configured overlap k as if it were a fact."""

import re
import statistics
from collections import Counter
from html import unescape

import pytest
from rest_framework.test import APIClient

from annotation.models import Annotator, Item
from tests.exports.pairwise_factories import VOTES, voted_campaign

from .report_factories import MODELS, human_records, rated_campaign

pytestmark = pytest.mark.django_db
PROMPTS = 4


def uneven_records():
    """Imported ratings: three raters on each item of q0, two on q1 and q2, none on q3."""
    raters = {"q0": 3, "q1": 2, "q2": 2, "q3": 0}
    records, seen = [], Counter()
    for record in human_records(PROMPTS, per_item=3):
        key = (record["prompt_id"], record["model"])
        if seen[key] < raters[record["prompt_id"]]:
            records.append(record)
            seen[key] += 1
    return records


def expected_raters(per_item):
    """What the report should state, from a count per item."""
    counts = sorted(per_item)
    return {"items": len(counts), "min": counts[0], "median": float(statistics.median(counts)), "max": counts[-1],
            "histogram": {str(count): n for count, n in sorted(Counter(counts).items())}}


@pytest.fixture
def campaign(tmp_path, lead):
    return rated_campaign(tmp_path, prompts=PROMPTS, ratings=uneven_records(), judge=None, lead=lead)


def page(client, user, campaign):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.get(f"/campaigns/{campaign.slug}/report/", {"replicates": 0})
    assert response.status_code == 200
    return unescape(response.content.decode())


def raters_shown(html):
    stats = dict(re.findall(r'<span class="stat" data-raters="(\w+)">([\d.]+)</span>', html))
    table = html.split('data-table="raters"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-raters="(\d+)">.*?data-stat="items">(\d+)</td>', table, flags=re.S)
    return stats, {raters: int(items) for raters, items in rows}


def test_imported_raters_beyond_k_and_unrated_items_are_stated_as_they_are(client, lead, campaign):
    per_item = Counter((r["prompt_id"], r["model"]) for r in uneven_records())
    expected = expected_raters([per_item.get((f"q{p}", model), 0) for p in range(PROMPTS) for model in MODELS])
    assert campaign.overlap == 2 and expected["min"] == 0 and expected["max"] == 3
    assert Annotator.objects.filter(is_external=True).count() == 3

    api = APIClient()
    api.force_authenticate(lead)
    agreement = api.get(f"/api/campaigns/{campaign.slug}/agreement/", {"replicates": 0}).json()
    assert agreement["meta"]["raters_per_item"] == expected

    stats, rows = raters_shown(page(client, lead, campaign))
    assert stats == {"min": "0", "median": "2", "max": "3"}
    assert rows == expected["histogram"]


def test_the_page_names_k_as_the_setting_it_is_not_as_the_count(client, lead, campaign):
    html = page(client, lead, campaign)
    section = html.split('<h2 id="raters">', 1)[1].split("</table>", 1)[0]
    assert "not the campaign's overlap k (2)" in section
    assert "each item rated by 2" not in html


def test_a_pairwise_campaign_states_its_voters_per_pair(client, lead, tmp_path):
    campaign = voted_campaign(tmp_path, lead=lead)
    voters = [len(verdicts) for per_prompt in VOTES.values() for verdicts in per_prompt]
    expected = expected_raters(voters)
    assert Item.objects.filter(campaign=campaign).count() == len(voters)

    api = APIClient()
    api.force_authenticate(lead)
    assert api.get(f"/api/campaigns/{campaign.slug}/agreement/", {"replicates": 0}).json()["meta"][
        "raters_per_item"] == expected
    stats, rows = raters_shown(page(client, lead, campaign))
    assert stats == {"min": str(expected["min"]), "median": f"{expected['median']:g}", "max": str(expected["max"])}
    assert rows == expected["histogram"]

"""The report page and the ranking API of a pairwise campaign: the humans' ranking with its chart, agreement on
the verdicts, and each judge side by side with its agreement with the humans; the same numbers as the commands."""

import io
import json
import re
import xml.etree.ElementTree as ElementTree
from html import unescape

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.models import Rating
from tests.exports.pairwise_factories import SLUG, voted_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(tmp_path, lead):
    return voted_campaign(tmp_path, lead=lead)


def page(client, user, campaign, **query):
    client.force_login(user)
    response = client.get(f"/campaigns/{campaign.slug}/report/", query)
    assert response.status_code == 200
    return response.content.decode()


def command_json(name, *arguments):
    out = io.StringIO()
    call_command(name, *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def text(fragment):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def row_of(html, table, attribute, value):
    section = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return section.split(f'{attribute}="{value}"', 1)[1].split("</tr>", 1)[0]


def stat(row, name):
    return text(row.split(f'data-stat="{name}"', 1)[1].split(">", 1)[1].split("</td>", 1)[0])


def test_the_ranking_agreement_and_judges_match_the_commands(client, lead, campaign):
    html = page(client, lead, campaign, replicates=200)
    ranking = command_json("ranking", "--campaign", SLUG, "--judge", "pair-judge", "--replicates", "200")
    agreement = command_json("agreement", "--campaign", SLUG, "--replicates", "200")

    assert '<html lang="ja">' in html and "順位" in html
    for model in ranking["humans"]["models"]:
        row = row_of(html, "ranking", "data-model", model["model"])
        assert stat(row, "rank") == str(model["rank"])
        rating = model["rating"]
        assert stat(row, "rating") == f"{rating['value']:.0f} [{rating['low']:.0f}, {rating['high']:.0f}]"
        assert stat(row, "win-rate") == f"{round(model['win_rate'] * 100)}%"
    alpha = agreement["verdict"]["alpha"]
    assert stat(row_of(html, "agreement", "data-axis", "verdict"), "alpha") == (
        f"{alpha['value']:.3f} [{alpha['low']:.3f}, {alpha['high']:.3f}]")
    judge = html.split('data-judge="pair-judge"', 1)[1].split("</section>", 1)[0]
    majority = ranking["agreement"]["with_majority"]
    assert stat(row_of(judge, "judge-agreement", "data-compared", "with-majority"), "agreement") == (
        f"{majority['agreement']:.3f}")
    assert 'data-judge="vendor-pair"' in html


def test_the_charts_show_every_model_for_the_humans_and_each_judge(client, lead, campaign):
    html = page(client, lead, campaign, replicates=50)
    charts = {figure: ElementTree.fromstring(re.search(r"<svg .*?</svg>", part, flags=re.S).group(0))
              for figure, part in re.findall(r'data-chart="(\w+)">(.*?)</figure>', html, flags=re.S)}
    assert set(charts) == {"ratings", "rates"}
    namespace = "{http://www.w3.org/2000/svg}"
    dots = [circle.find(f"{namespace}title").text for circle in charts["ratings"].iter(f"{namespace}circle")]
    # Three models by the humans, two by each judge (each compared only one pair of models).
    assert len(dots) == 3 + 2 + 2
    bars = [rect for rect in charts["rates"].iter(f"{namespace}rect") if rect.get("data-count")]
    assert sum(int(rect.get("data-count")) for rect in bars if "人" in rect.find(f"{namespace}title").text
               or "humans" in rect.find(f"{namespace}title").text) == 2 * Rating.objects.count()


def test_without_votes_the_page_says_why(client, lead, campaign):
    Rating.objects.all().delete()
    client.cookies["django_language"] = "en"
    html = unescape(page(client, lead, campaign))
    assert "No votes yet: the ranking and agreement need human votes." in html
    assert 'data-table="ranking"' not in html


def test_the_ranking_api_is_the_commands_json(lead, campaign):
    api = APIClient()
    api.force_authenticate(lead)
    response = api.get(f"/api/campaigns/{SLUG}/ranking/", {"judge": "vendor-pair", "replicates": 100, "seed": 2})
    assert response.status_code == 200
    assert response.json() == command_json("ranking", "--campaign", SLUG, "--judge", "vendor-pair",
                                           "--replicates", "100", "--seed", "2")
    assert api.get(f"/api/campaigns/{SLUG}/ranking/", {"judge": "nobody"}).status_code == 400


def test_the_ranking_api_refuses_a_likert_campaign_and_other_users(tmp_path, lead, other_annotator, campaign):
    from tests.exports.release_factories import rated_campaign

    likert = rated_campaign(slug="likert", lead=lead)
    api = APIClient()
    api.force_authenticate(lead)
    refused = api.get(f"/api/campaigns/{likert.slug}/ranking/")
    assert refused.status_code == 400 and "rankings need a pairwise campaign" in refused.json()["detail"]
    api.force_authenticate(other_annotator)
    assert api.get(f"/api/campaigns/{SLUG}/ranking/").status_code in (403, 404)


def test_each_judge_shows_its_position_bias_as_the_ranking_command_counts_it(client, lead, campaign):
    html = page(client, lead, campaign, replicates=50)
    ranking = command_json("ranking", "--campaign", SLUG, "--judge", "pair-judge", "--replicates", "50")
    judge = html.split('data-judge="pair-judge"', 1)[1].split("</section>", 1)[0]

    bias = judge.split('data-table="position-bias"', 1)[1].split("</table>", 1)[0]
    rows = [text(row) for row in bias.split("<tbody>", 1)[1].split("</tr>")[:3]]
    for row, key in zip(rows, ("consistency", "first_position_wins", "longer_wins")):
        figure = ranking["position_bias"][key]
        rate = "—" if figure["rate"] is None else f"{figure['rate'] * 100:.1f}%"
        assert row.endswith(f"{figure['count']} {figure['n']} {rate}"), (key, row)
    assert ranking["position_bias"]["consistency"]["n"] > 0
    meta = ranking["meta"]
    line = judge.split('data-stat="inconsistent"', 1)[1].split(">", 1)[0]
    assert f'data-inconsistent="{meta["n_inconsistent_pairs"]}" data-pairs="{meta["n_pairs_both_orders"]}"' in line
    assert 'data-setting="tie"' in line and meta["n_pairs_both_orders"] > 0

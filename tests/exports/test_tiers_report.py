"""Annotator tiers in `agreement --json` and on the report page, on ratings built by hand (a vendor one point
more lenient than two professionals)."""

import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from annotation.models import Annotator

from .report_factories import rated_campaign

pytestmark = pytest.mark.django_db
PRO = {"p1": [5, 4, 3, 2, 1, 4], "p2": [5, 3, 3, 2, 2, 4]}
VENDOR = {"v1": [5, 5, 4, 3, 2, 5], "v2": [4, 5, 4, 3, 3, 5]}


@pytest.fixture
def campaign(tmp_path, lead):
    records = [{"prompt_id": f"q{p}", "model": "gpt-4o", "annotator": annotator, "scores": {"overall": score}}
               for group in (PRO, VENDOR) for annotator, scores in group.items() for p, score in enumerate(scores)]
    campaign = rated_campaign(tmp_path, prompts=6, ratings=records, judge=None, lead=lead)
    Annotator.objects.filter(handle__in=PRO).update(tier=Annotator.Tier.PROFESSIONAL)
    Annotator.objects.filter(handle__in=VENDOR).update(tier=Annotator.Tier.VENDOR)
    return campaign


def test_agreement_json_holds_the_tiers_and_tier_against_tier(campaign):
    out = io.StringIO()
    call_command("agreement", "--campaign", campaign.slug, "--json", "--replicates", "100", stdout=out)
    tiers = json.loads(out.getvalue())["meta"]["tiers"]

    assert [tier["tier"] for tier in tiers["tiers"]] == ["professional", "vendor"]
    professional, vendor = (tier["axes"]["overall"] for tier in tiers["tiers"])
    pro_means = (np.array(PRO["p1"]) + np.array(PRO["p2"])) / 2
    vendor_means = (np.array(VENDOR["v1"]) + np.array(VENDOR["v2"])) / 2
    assert professional["mean"]["value"] == pytest.approx(pro_means.mean())
    assert vendor["mean"]["value"] == pytest.approx(vendor_means.mean())
    assert (professional["n_annotators"], professional["n_items"], professional["n_scores"]) == (2, 6, 12)
    (pair,) = tiers["pairs"]
    assert (pair["first"], pair["second"]) == ("professional", "vendor")
    assert pair["axes"]["overall"]["bias"]["value"] == pytest.approx((vendor_means - pro_means).mean())
    assert pair["axes"]["overall"]["pearson"]["value"] == pytest.approx(np.corrcoef(pro_means, vendor_means)[0, 1])


def test_the_agreement_text_and_the_report_page_show_the_tiers(campaign, client, lead):
    out = io.StringIO()
    call_command("agreement", "--campaign", campaign.slug, "--replicates", "0", stdout=out)
    assert "professional / vendor  overall" in out.getvalue()
    client.force_login(lead)

    html = client.get(f"/campaigns/{campaign.slug}/report/", {"replicates": 0}).content.decode()

    assert "評価者の区分" in html
    row = html.split('data-tiers="professional/vendor" data-axis="overall"', 1)[1].split("</tr>", 1)[0]
    pro = (np.array(PRO["p1"]) + np.array(PRO["p2"])) / 2
    vendor = (np.array(VENDOR["v1"]) + np.array(VENDOR["v2"])) / 2
    assert f'data-value="{(vendor - pro).mean():.6f}"' in row


def test_one_tier_has_no_tier_figures(tmp_path):
    campaign = rated_campaign(tmp_path, slug="one-tier", prompts=3, judge=None)
    out = io.StringIO()
    call_command("agreement", "--campaign", campaign.slug, "--json", "--replicates", "0", stdout=out)
    assert json.loads(out.getvalue())["meta"]["tiers"] == {"tiers": [], "pairs": [],
                                                           "reason": "the annotators are all of one tier"}

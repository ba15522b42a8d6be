"""The QC page: the lead's per-annotator table, the quality-control settings and the gold-item form."""

import pytest

from annotation.models import Campaign, CampaignMembership, GoldAnswer, Rating, RatingScore

from .workflow_factories import annotators, campaign_with_items


@pytest.fixture
def qc_campaign(lead):
    campaign = campaign_with_items(slug="qcpage", items=8)
    CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
    axes = list(campaign.rubric.axes.all())
    for index, person in enumerate(annotators(2, campaign, prefix="rater")):
        for item in campaign.items.all():
            rating = Rating.objects.create(item=item, annotator=person)
            RatingScore.objects.bulk_create(RatingScore(rating=rating, axis=axis, score=5 if index else 1 + item.pk % 5)
                                            for axis in axes)
    return campaign


def test_the_lead_reads_every_annotator_in_japanese(client, lead, qc_campaign):
    client.force_login(lead)
    page = client.get("/campaigns/qcpage/qc/")
    html = page.content.decode()
    assert page.status_code == 200 and "品質管理" in html and "能力推定" in html
    assert 'data-key="rater0"' in html and 'data-key="rater1"' in html
    assert "注意確認: アノテーターが劣化させた複製" in html


def test_settings_and_a_gold_item_set_from_the_page(client, lead, qc_campaign):
    client.force_login(lead)
    saved = client.post("/campaigns/qcpage/qc/settings/", {"gold_share": "0.1", "gold_training": "on",
                                                            "gold_warn_after": "2", "gold_pause_after": "4"})
    assert saved.status_code == 302
    campaign = Campaign.objects.get(pk=qc_campaign.pk)
    assert (campaign.gold_share, campaign.gold_training, campaign.gold_warn_after, campaign.gold_pause_after) == (
        0.1, True, 2, 4)
    refused = client.post("/campaigns/qcpage/qc/settings/", {"gold_share": "0.1", "gold_warn_after": "5",
                                                              "gold_pause_after": "4"})
    assert refused.status_code == 200 and "設定は保存されませんでした" in refused.content.decode()

    added = client.post("/campaigns/qcpage/qc/gold/", {"prompt_id": "p1", "model": "model-0", "tolerance": "1",
                                                       "score_overall": "4", "explanation": ""})
    assert added.status_code == 302
    assert GoldAnswer.objects.get().scores == {"overall": 4}
    unknown = client.post("/campaigns/qcpage/qc/gold/", {"prompt_id": "p99", "model": "model-0", "tolerance": "0",
                                                         "score_overall": "4"})
    assert unknown.status_code == 200 and "no item for prompt" in unknown.content.decode()


def test_only_the_campaigns_leads_see_it(client, annotator, qc_campaign):
    client.force_login(annotator)
    assert client.get("/campaigns/qcpage/qc/").status_code in (403, 404)
    assert client.get("/api/campaigns/qcpage/qc/").status_code in (403, 404)

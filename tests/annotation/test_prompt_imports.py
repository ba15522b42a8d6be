"""import_prompts: a campaign's prompts before any model answered them (for generation jobs)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.models import Campaign, CampaignPrompt, Prompt

pytestmark = pytest.mark.django_db


def write(path, records):
    path.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n", encoding="utf-8")
    return str(path)


def test_prompts_are_listed_for_the_campaign_once(tmp_path, capsys):
    path = write(tmp_path / "prompts.jsonl", [
        {"prompt_id": "q1", "turns": ["富士山の高さは？", "では二番目は？"], "context": "子ども向けに"},
        {"prompt_id": "q2", "prompt": "日本の首都は？", "checklist": ["東京と答えているか"]},
    ])
    call_command("import_prompts", path, "--campaign", "gen")
    call_command("import_prompts", path, "--campaign", "gen")

    campaign = Campaign.objects.get(slug="gen")
    assert CampaignPrompt.objects.filter(campaign=campaign).count() == 2
    assert Prompt.objects.get(external_id="q1").turns == ["富士山の高さは？", "では二番目は？"]
    assert Prompt.objects.get(external_id="q2").checklist.count() == 1
    assert "created 2 prompts" in capsys.readouterr().out


def test_a_pairwise_campaign_keeps_its_pair_and_a_bad_record_writes_nothing(tmp_path):
    good = write(tmp_path / "good.jsonl", [{"prompt_id": "q1", "prompt": "どちらが良い？"}])
    with pytest.raises(CommandError, match="--pair"):
        call_command("import_prompts", good, "--campaign", "pw", "--rubric", "preference-3")
    call_command("import_prompts", good, "--campaign", "pw", "--rubric", "preference-3", "--pair", "a", "b")
    campaign = Campaign.objects.get(slug="pw")
    assert (campaign.pair_model_a.name, campaign.pair_model_b.name) == ("a", "b")

    bad = write(tmp_path / "bad.jsonl", [{"prompt_id": "q9", "prompt": "はい"}, {"prompt_id": "q10"}])
    with pytest.raises(CommandError, match="bad.jsonl:2: prompt"):
        call_command("import_prompts", bad, "--campaign", "pw")
    assert not Prompt.objects.filter(external_id="q9").exists()


def test_import_prompts_with_lead_makes_a_lead_without_superuser_rights(tmp_path, client):
    from django.contrib.auth.models import User
    from django.urls import reverse

    user = User.objects.create_user("plain", password="x")  # in no group, not staff
    path = write(tmp_path / "prompts.jsonl", [{"prompt_id": "q1", "prompt": "日本の首都は？"}])
    call_command("import_prompts", path, "--campaign", "gen", "--lead", "plain")

    client.force_login(user)
    assert client.get(reverse("campaign_manage", args=["gen"])).status_code == 200
    assert client.get(reverse("generation_job_list", args=["gen"])).status_code == 200
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_prompts", path, "--campaign", "other", "--lead", "nobody")
    assert not Campaign.objects.filter(slug="other").exists()

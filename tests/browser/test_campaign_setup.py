"""A lead starts a study in real Chromium, with no admin and no command line: creates a campaign in the form,
adds an annotator with a tier and a researcher, changes the tier, takes the researcher off again; an anonymous
visitor sees only the sign-in page."""

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import Annotator, Campaign, CampaignMembership

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "lena-password"


@pytest.fixture
def people(db):
    lena = User.objects.create_user("lena", password=PASSWORD)
    lena.groups.add(Group.objects.get(name="lead"))
    User.objects.create_user("alice", password="x")  # in no group yet: adding her makes her an annotator
    User.objects.create_user("rita", password="x").groups.add(Group.objects.get(name="researcher"))
    return lena


def test_a_lead_creates_a_campaign_and_adds_its_people_in_the_browser(live_server, browser_page, people, artifacts):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # anonymous: sign in first
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].button")
    page.wait_for_url(f"{live_server.url}/")

    page.click("#new-campaign")
    page.fill("#id_name", "日本語品質評価")
    page.fill("#id_slug", "jp-quality")
    page.select_option("#id_rubric", "quality-5x5")
    page.fill("#id_overlap", "3")
    page.fill("#id_instructions", "## 手順\n\n- 各観点を 1–5 で採点してください。")
    page.screenshot(path=str(artifacts / "campaign-create.png"), full_page=True)
    page.click("#campaign-create")
    page.wait_for_url(f"{live_server.url}/campaigns/jp-quality/manage/")

    page.fill("#id_username", "alice")
    page.select_option("#id_role", "annotator")
    page.select_option("#id_tier", "vendor")
    page.click("#member-add button[type=submit]")
    page.wait_for_selector('tr[data-member="alice"][data-role="annotator"]')
    page.fill("#id_username", "rita")
    page.select_option("#id_role", "researcher")
    page.click("#member-add button[type=submit]")
    page.wait_for_selector('tr[data-member="rita"][data-role="researcher"]')

    page.select_option("#tier-alice", "graduate")
    page.click('[data-tier-form="alice"] button')
    page.wait_for_selector('#tier-alice option[value="graduate"][selected]', state="attached")
    page.screenshot(path=str(artifacts / "campaign-people.png"), full_page=True)
    page.click('tr[data-member="rita"] button')
    page.wait_for_selector('tr[data-member="rita"]', state="detached")

    campaign = Campaign.objects.get(slug="jp-quality")
    assert (campaign.overlap, campaign.status, campaign.instructions.startswith("## 手順")) == (3, "draft", True)
    roles = dict(CampaignMembership.objects.filter(campaign=campaign).values_list("user__username", "role"))
    assert roles == {"lena": "lead", "alice": "annotator"}
    assert Annotator.objects.get(handle="alice").tier == "graduate"

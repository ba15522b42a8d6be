"""The source's license of an exam campaign's exams, recorded in the browser: the Manage page lists each exam's
(unknown until recorded) and records one for every exam or those ticked, as import_exam --license does."""

import pytest
from django.conf import settings
from django.core.management import call_command

from annotation.models import CampaignMembership, Exam
from tests.annotation.exam_factories import center_exam, write_json_array

pytestmark = pytest.mark.django_db


@pytest.fixture
def exams(tmp_path, lead):
    """An exam campaign of two exams (the center exam under two names), led by lena, no license recorded."""
    records = [{**record, "need_image": "no", "image_files": []} for record in center_exam()]
    paths = [write_json_array(tmp_path / f"{name}.json", records) for name in ("Center-2001--Main-A", "Center-2005--Main-B")]
    call_command("import_exam", *paths, campaign="center", lead=[lead.username], stdout=None)
    return Exam.objects.filter(campaign__slug="center")


@pytest.fixture
def as_lead(client, lead):
    client.force_login(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def licenses(exams):
    return dict(exams.values_list("key", "license"))


def test_the_manage_page_shows_each_exams_source_license_and_records_one(as_lead, exams):
    page = as_lead.get("/campaigns/center/manage/").content.decode()
    assert 'id="source-license"' in page and page.count('<span class="badge">unknown</span>') == 2

    answer = as_lead.post("/campaigns/center/exam-license/", {"license": " cc-by-nc-4.0 ", "exams": ["Center-2005--Main-B"]},
                          follow=True)

    assert licenses(exams) == {"Center-2001--Main-A": "", "Center-2005--Main-B": "cc-by-nc-4.0"}
    assert answer.redirect_chain[-1][0].endswith("/campaigns/center/manage/#source-license")
    assert "The source license cc-by-nc-4.0 is recorded on 1 exams." in answer.content.decode()

    as_lead.post("/campaigns/center/exam-license/", {"license": "cc-by-nc-sa-4.0"})  # none ticked: every exam
    assert set(licenses(exams).values()) == {"cc-by-nc-sa-4.0"}


def test_a_license_left_empty_is_refused_on_the_page_and_nothing_changes(as_lead, exams):
    answer = as_lead.post("/campaigns/center/exam-license/", {"license": "  "})

    assert answer.status_code == 200
    assert "The license was not recorded:" in answer.content.decode()
    assert set(licenses(exams).values()) == {""}


def test_only_the_campaigns_leads_record_it(client, exams, annotator, campaign, lead):
    CampaignMembership.objects.create(campaign=exams.first().campaign, user=annotator, role="annotator")
    client.force_login(annotator)
    assert client.post("/campaigns/center/exam-license/", {"license": "cc-by-4.0"}).status_code == 403
    assert set(licenses(exams).values()) == {""}

    client.force_login(lead)  # a likert campaign has no exams and no such section
    assert 'id="source-license"' not in client.get(f"/campaigns/{campaign.slug}/manage/").content.decode()
    assert client.post(f"/campaigns/{campaign.slug}/exam-license/", {"license": "cc-by-4.0"}).status_code == 404

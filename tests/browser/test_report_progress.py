"""The report page of a large campaign in real Chromium: while its figures are computed it shows their progress,
and it shows the figures by itself once they are ready."""

import pytest

from exports.models import ReportSnapshot
from exports.services import report_snapshots
from tests.exports.report_factories import rated_campaign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]


def test_the_progress_is_shown_and_the_figures_appear_when_ready(browser_page, live_server, tmp_path, lead,
                                                                 monkeypatch):
    campaign = rated_campaign(tmp_path, prompts=3, lead=lead)
    queued = []
    monkeypatch.setattr(report_snapshots, "INLINE_MAX_ITEMS", 0)  # as if the campaign were large
    monkeypatch.setattr(report_snapshots, "_queue", queued.append)  # the test plays the worker
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/campaigns/{campaign.slug}/report/")
    page.fill("input[name=username]", "lena")
    page.fill("input[name=password]", "lena-password")
    page.keyboard.press("Enter")
    page.wait_for_selector("#report-status[data-status=pending]")
    assert "集計値を計算しています" in page.text_content("#report-status")
    assert page.locator("[data-count=scores]").count() == 0

    ReportSnapshot.objects.filter(pk=queued[0]).update(progress=40)
    page.wait_for_function("document.querySelector('[data-field=percent]').textContent === '40'")
    assert page.get_attribute("progress[data-field=bar]", "value") == "40"

    report_snapshots.report_snapshot_compute(snapshot_id=queued[0])
    page.wait_for_selector("[data-count=scores]")
    assert page.text_content("[data-count=scores]") == str(3 * 3 * 2 * 5)
    assert page.locator("#report-status").count() == 0

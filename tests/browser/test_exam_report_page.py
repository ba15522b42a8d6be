"""A lead reads an exam campaign's report in real Chromium: the working group's table with each examinee's score
(text-only score) beside the students' average, and the chart of the scores by exam (the screenshot the README's
tour shows). The data and its figures: tests.exports.exam_report_factories."""

import pytest

from tests.exports.exam_report_factories import answered_exam_campaign

from .pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]


def test_a_lead_reads_the_exam_report(live_server, browser_page, lead, tmp_path, artifacts):
    campaign = answered_exam_campaign(folder=tmp_path)
    campaign.created_by = lead
    campaign.save(update_fields=["created_by"])
    page = browser_page
    sign_in(page, live_server, "lena", "/campaigns/exam/report/")

    row = page.locator('[data-table="exam-scores"] tr[data-exam="Center-2001--Main-Test"]')
    cells = row.locator("[data-stat=score]")
    # m13b: (7/11 + 4/7) / 2 = 60.39 %, text-only 50 %; the people: alice 100, bob 0
    assert cells.nth(0).inner_text().startswith("60.39") and "(50.00" in cells.nth(0).inner_text()
    assert cells.nth(1).inner_text().startswith("50.00")
    assert row.locator("[data-stat=students]").inner_text() == "60.00"
    chart = page.locator('[data-chart="exam-scores"] svg')
    assert chart.is_visible() and chart.bounding_box()["width"] > 200
    page.screenshot(path=str(artifacts / "exam-report.png"), full_page=True)

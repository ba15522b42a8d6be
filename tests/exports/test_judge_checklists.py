"""A judge's checklist answers analysed as the raters' are, and their agreement with the raters' per checklist
item, on data built by hand: in the checklist report, the API, the report page and releases."""

import pandas as pd
import pytest
from rest_framework.test import APIClient

from annotation.models import ChecklistItem, RatingCheck
from exports.reports.checklists import checklist_report
from exports.services import release_build, release_create, release_folder
from judging.models import Verdict, VerdictCheck
from tests.exports.release_factories import few_bootstrap_replicates, rated_campaign  # noqa: F401
from tests.exports.test_checklist_report import add_checklists

pytestmark = pytest.mark.django_db


@pytest.fixture
def likert(lead):
    """The release factory's campaign (gpt-judge scores every item but the first, 3 or 4) with the raters'
    checklists; gpt-judge answers question 0 yes when it scored 4, question 1 no."""
    campaign = rated_campaign(lead=lead)
    add_checklists(campaign)
    for verdict in Verdict.objects.filter(judge__name="gpt-judge", parse_status="ok").select_related("item__response"):
        items = {i.position: i for i in ChecklistItem.objects.filter(prompt_id=verdict.item.response.prompt_id)}
        overall = verdict.scores.get(axis__key="overall").score
        VerdictCheck.objects.create(verdict=verdict, checklist_item=items[0], checked=overall >= 4)
        VerdictCheck.objects.create(verdict=verdict, checklist_item=items[1], checked=False)
    return campaign


def expected_agreement(campaign, position):
    """Pairs (human answer, judge answer) on the same item and checklist item, counted one by one."""
    human = RatingCheck.objects.filter(rating__item__campaign=campaign, checklist_item__position=position)
    judge = VerdictCheck.objects.filter(verdict__item__campaign=campaign, checklist_item__position=position)
    alike = pairs = 0
    for j in judge.select_related("verdict"):
        for h in human.filter(rating__item_id=j.verdict.item_id, checklist_item_id=j.checklist_item_id):
            pairs += 1
            alike += h.checked == j.checked
    return pairs, alike


def test_the_judges_answers_are_analysed_and_compared_with_the_humans(likert):
    report = checklist_report(likert)

    (judge,) = report["judges"]
    assert judge["meta"]["judge"] == "gpt-judge" and judge["meta"]["job"] is not None
    assert judge["meta"]["n_answers"] == VerdictCheck.objects.count()
    for position in (0, 1):
        rows = [row for row in judge["items"] if row["position"] == position]
        answers = VerdictCheck.objects.filter(checklist_item__position=position)
        assert sum(row["n_answered"] for row in rows) == answers.count()
        assert sum(row["n_ticked"] for row in rows) == answers.filter(checked=True).count()
        pairs, alike = expected_agreement(likert, position)
        assert sum(row["n_pairs"] for row in rows) == pairs
        assert sum(row["agreement_with_humans"]["value"] * row["n_pairs"] for row in rows if row["n_pairs"]) \
            == pytest.approx(alike)
    # The judge ticks question 0 exactly when its own overall score is 4 (else 3, the midpoint, which counts as
    # the upper side): the tick agrees with its score exactly when it is ticked.
    assert all(row["agreement_with_score"]["value"] == pytest.approx(row["tick_rate"])
               for row in judge["items"] if row["position"] == 0)


def test_the_api_and_the_page_show_the_judges_checklist(client, lead, likert):
    api = APIClient()
    api.force_authenticate(lead)
    assert api.get(f"/api/campaigns/{likert.slug}/checklist/").json()["judges"][0]["meta"]["judge"] == "gpt-judge"
    client.force_login(lead)

    html = client.get(f"/campaigns/{likert.slug}/report/", {"replicates": 0}).content.decode()

    assert "gpt-judge のチェックリストの回答" in html
    table = html.split('data-judge="gpt-judge"', 1)[1].split("</table>", 1)[0]
    assert 'data-stat="agreement-with-humans"' in table and 'data-stat="human-agreement"' in table


def test_a_release_holds_the_judges_checklist_figures(settings, tmp_path, likert):
    settings.RELEASES_ROOT = tmp_path / "releases"
    release = release_build(release_id=release_create(campaigns=[likert], version="1.0.0", queue=False).pk)

    table = pd.read_parquet(release_folder(release) / "data/judge_checklist.parquet")
    assert "`judge_checklist`" in (release_folder(release) / "README.md").read_text()

    assert set(table["judge"]) == {"gpt-judge"}
    assert table["n_answered"].sum() == VerdictCheck.objects.count()
    assert table.loc[table["position"] == 1, "tick_rate"].eq(0).all()
    pairs, alike = expected_agreement(likert, 0)
    zero = table[(table["position"] == 0) & (table["n_pairs"] > 0)]
    assert (zero["agreement_with_humans"] * zero["n_pairs"]).sum() == pytest.approx(alike)

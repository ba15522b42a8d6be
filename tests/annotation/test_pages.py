"""The rating workflow's web pages: what a lead and an annotator notice on them."""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation import views
from annotation.models import (
    Assignment, Batch, Campaign, CampaignMembership, Item, ItemSlot, PairOrder, Prompt, Response,
)
from annotation.services.workflow import (
    batch_close, campaign_assign_batches, campaign_cut_batches, campaign_open, draft_save, item_next, item_skip,
    rating_submit,
)
from tests.conftest import make_user

from .pairwise_factories import a_side, give_checklist, order_for, pairwise_campaign
from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, key


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def led(db, lead):
    """Six items (three prompts × two models), k = 2, led by lena; nobody annotates it yet."""
    campaign = campaign_with_items(slug="jp", items=6, models=2)
    campaign.created_by, campaign.name = lead, "日本語品質評価"
    campaign.save()
    return campaign


@pytest.fixture
def team(led, annotator, other_annotator):
    """alice, bob and carol annotate the campaign."""
    carol = make_user("carol", "annotator")
    for user in (annotator, other_annotator, carol):
        CampaignMembership.objects.create(campaign=led, user=user, role=CampaignMembership.Role.ANNOTATOR)
    return annotator.annotator, other_annotator.annotator, carol.annotator


@pytest.fixture
def running(led, team):
    """Two batches of three: batch 1 to alice and bob, batch 2 to carol and alice; open in batch mode."""
    campaign_cut_batches(campaign=led, size=3, order=Batch.Order.PROMPT)
    campaign_assign_batches(campaign=led, annotators=list(team))
    return campaign_open(campaign=led, mode=Campaign.Mode.BATCHES)


def embedded_json(html, element_id):
    """The data a page hands to its script with json_script."""
    start = f'<script id="{element_id}" type="application/json">'
    return json.loads(html.split(start, 1)[1].split("</script>", 1)[0])


def html_of(response):
    return unescape(response.content.decode())


def error_lines(html):
    """The lines of the error summaries above the forms: "Field label: message"."""
    return [unescape(re.sub(r"<[^>]+>", "", line)).strip()
            for line in re.findall(r'<li data-field="[^"]+">(.*?)</li>', html)]


def rate(annotator, item, **fields):
    return rating_submit(annotator=annotator, item=item, scores=fields.pop("scores", FULL_SCORES),
                         idempotency_key=key(), **fields)[0]


# Members ----------------------------------------------------------------------------------------------------


def test_lead_adds_an_annotator_by_username(english, lead, led, annotator):
    english.force_login(lead)

    response = english.post(reverse("member_add", args=["jp"]), {"username": "alice"}, follow=True)

    assert "alice now annotates this campaign." in html_of(response)
    assert 'data-member="alice"' in html_of(response)
    membership = CampaignMembership.objects.get(campaign=led, user=annotator)
    assert membership.role == CampaignMembership.Role.ANNOTATOR


def test_an_annotator_without_a_profile_gets_one_when_added(english, lead, led):
    newcomer = make_user("nora", "annotator")
    newcomer.annotator.delete()
    english.force_login(lead)

    english.post(reverse("member_add", args=["jp"]), {"username": "nora"})

    assert newcomer.memberships.get().campaign == led
    newcomer.refresh_from_db()
    assert newcomer.annotator.handle == "nora"


@pytest.mark.parametrize("username, message", [
    ("", "Username: This field is required."),
    ("zed", "Username: there is no user named 'zed'."),
    ("alice", "Username: alice is already a member of jp (annotator)."),
])
def test_adding_a_member_with_bad_input_names_the_field_and_changes_nothing(
        english, lead, led, team, researcher, username, message):
    english.force_login(lead)
    before = list(CampaignMembership.objects.order_by("id").values_list("user__username", "role"))

    response = english.post(reverse("member_add", args=["jp"]), {"username": username})

    assert response.status_code == 200
    assert message in error_lines(html_of(response))
    assert list(CampaignMembership.objects.order_by("id").values_list("user__username", "role")) == before


def test_lead_removes_an_annotator_without_work(english, lead, led, team):
    english.force_login(lead)

    response = english.post(reverse("member_remove", args=["jp", "carol"]), follow=True)

    assert "carol is no longer a member of this campaign." in html_of(response)
    assert not CampaignMembership.objects.filter(campaign=led, user__username="carol").exists()


def test_removing_an_annotator_with_assigned_items_is_refused_until_reassigned(english, lead, running):
    english.force_login(lead)

    response = english.post(reverse("member_remove", args=["jp", "bob"]), follow=True)

    assert "bob still has unrated items in open batches; reassign their assignments first." in html_of(response)
    assert CampaignMembership.objects.filter(campaign=running, user__username="bob").exists()


def test_removing_an_annotator_returns_their_leased_items_to_the_pool(english, lead, led, team):
    campaign_cut_batches(campaign=led, size=6, seed=1)
    campaign_open(campaign=led, mode=Campaign.Mode.PULL)
    alice = team[0]
    item_next(annotator=alice, campaign=led)
    english.force_login(lead)

    english.post(reverse("member_remove", args=["jp", "alice"]))

    assert not ItemSlot.objects.filter(annotator=alice).exists()


# Batches, assigning, opening, closing -----------------------------------------------------------------------


def test_lead_cuts_batches_and_sees_them_listed(english, lead, led):
    english.force_login(lead)

    response = english.post(reverse("batches_cut", args=["jp"]), {"size": "4", "order": "random", "seed": "7"},
                            follow=True)

    html = html_of(response)
    assert "2 batches were cut." in html
    assert list(led.batches.values_list("number", "seed")) == [(1, 7), (2, 7)]
    assert re.search(r'data-batch="1">.*?data-count="items">4<', html, re.S)
    assert re.search(r'data-batch="2">.*?data-count="items">2<', html, re.S)
    assert ItemSlot.objects.filter(campaign=led).count() == 12


@pytest.mark.parametrize("data, message", [
    ({"size": "0", "order": "random"}, "Batch size: Ensure this value is greater than or equal to 1."),
    ({"size": "many", "order": "random"}, "Batch size: Enter a whole number."),
    ({"size": "3", "order": "alphabetical"},
     "Order: Select a valid choice. alphabetical is not one of the available choices."),
    ({"size": "3", "order": "random", "seed": "-1"}, "Seed: Ensure this value is greater than or equal to 0."),
])
def test_cutting_with_bad_input_names_the_field_and_makes_no_batch(english, lead, led, data, message):
    english.force_login(lead)

    response = english.post(reverse("batches_cut", args=["jp"]), data)

    assert response.status_code == 200
    assert message in error_lines(html_of(response))
    assert not Batch.objects.exists() and not ItemSlot.objects.exists()


def test_cutting_when_every_item_is_in_a_batch_says_why(english, lead, led):
    campaign_cut_batches(campaign=led, size=6, seed=1)
    english.force_login(lead)

    response = english.post(reverse("batches_cut", args=["jp"]), {"size": "3", "order": "prompt"})

    assert "campaign jp has no items outside batches; import responses first." in html_of(response)
    assert led.batches.count() == 1


def test_lead_assigns_batches_to_chosen_members_so_every_item_gets_k(english, lead, led, team):
    campaign_cut_batches(campaign=led, size=3, seed=1)
    english.force_login(lead)

    response = english.post(reverse("batches_assign", args=["jp"]), {"annotators": ["alice", "bob", "carol"]},
                            follow=True)

    assert "4 assignments were made." in html_of(response)
    for item in Item.objects.filter(campaign=led):
        holders = list(item.slots.values_list("annotator__handle", flat=True))
        assert len(set(holders)) == 2 and None not in holders


@pytest.mark.parametrize("chosen, message", [
    ([], "Annotators: This field is required."),
    (["alice"], "Annotators: overlap k=2 needs at least 2 annotators; 1 chosen."),
    (["alice", "rita"], "Annotators: Select a valid choice. rita is not one of the available choices."),
])
def test_assigning_with_bad_input_names_the_field_and_assigns_nothing(
        english, lead, led, team, researcher, chosen, message):
    campaign_cut_batches(campaign=led, size=3, seed=1)
    english.force_login(lead)

    response = english.post(reverse("batches_assign", args=["jp"]), {"annotators": chosen})

    assert message in error_lines(html_of(response))
    assert not Assignment.objects.exists() and not ItemSlot.objects.filter(annotator__isnull=False).exists()


def test_lead_opens_the_campaign_in_pull_mode(english, lead, led):
    campaign_cut_batches(campaign=led, size=6, seed=1)
    english.force_login(lead)

    response = english.post(reverse("campaign_open", args=["jp"]), {"mode": "pull"}, follow=True)

    assert "The campaign is open for rating." in html_of(response)
    led.refresh_from_db()
    assert (led.status, led.mode) == (Campaign.Status.ACTIVE, Campaign.Mode.PULL)


def test_opening_with_batches_before_cutting_them_is_refused(english, lead, led):
    english.force_login(lead)

    response = english.post(reverse("campaign_open", args=["jp"]), {"mode": "batches"})

    assert "cut the items into batches before opening the campaign" in html_of(response)
    assert Campaign.objects.get(pk=led.pk).status == Campaign.Status.DRAFT


def test_pull_mode_opens_a_campaign_without_batches_and_says_it_cut_them(english, lead, led):
    english.force_login(lead)

    response = english.post(reverse("campaign_open", args=["jp"]), {"mode": "pull"}, follow=True)

    html = html_of(response)
    assert "The campaign is open for rating." in html
    assert "Its items outside batches were cut into 1 batches first" in html
    assert (Campaign.objects.get(pk=led.pk).status, led.items.filter(batch__isnull=True).count()) == ("active", 0)
    assert ItemSlot.objects.filter(campaign=led).count() == 6 * led.overlap


def test_opening_without_a_mode_names_the_field(english, lead, led):
    campaign_cut_batches(campaign=led, size=6, seed=1)
    english.force_login(lead)

    response = english.post(reverse("campaign_open", args=["jp"]), {})

    assert "Assignment mode: This field is required." in error_lines(html_of(response))
    assert Campaign.objects.get(pk=led.pk).status == Campaign.Status.DRAFT


def test_lead_closes_a_batch(english, lead, running):
    batch = running.batches.get(number=1)
    english.force_login(lead)

    response = english.post(reverse("batch_close", args=[batch.public_id]), follow=True)

    assert "Batch 1 is closed; its ratings are final." in html_of(response)
    batch.refresh_from_db()
    assert batch.closed_at is not None
    assert re.search(r'data-batch="1">.*?Closed', html_of(response), re.S)


def test_manage_page_shows_members_with_their_progress_and_batches_with_their_annotators(english, lead, running, team):
    alice = team[0]
    rate(alice, item_next(annotator=alice, campaign=running))
    english.force_login(lead)

    html = html_of(english.get(reverse("campaign_manage", args=["jp"])))

    assert re.search(r'data-member="alice" data-role="annotator">.*?1 / 6', html, re.S)
    assert re.search(r'data-member="bob" data-role="annotator">.*?0 / 3', html, re.S)
    batch_one = html.split('data-batch="1"')[1].split("</tr>")[0]
    assert "alice" in batch_one and "bob" in batch_one and "carol" not in batch_one
    assert 'data-count="rated">1 / 6<' in batch_one


# Progress ---------------------------------------------------------------------------------------------------


@pytest.fixture
def progressed(running, team):
    """alice rated two items (20 s and 40 s, one flagged); bob skipped one and rated one in 30 s."""
    alice, bob, _ = team
    rate(alice, item_next(annotator=alice, campaign=running), seconds_spent=20)
    rate(alice, item_next(annotator=alice, campaign=running), seconds_spent=40, flags=["harmful"])
    item_skip(annotator=bob, item=item_next(annotator=bob, campaign=running), reason="cannot_judge")
    rate(bob, item_next(annotator=bob, campaign=running), seconds_spent=30)
    return running


def table_row(html, table, key):
    """{count name: text} of the row ``key`` in the table ``table`` of the page."""
    section = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    row = section.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    return dict(re.findall(r'data-count="([a-z_]+)">([^<]*)<', row))


def test_progress_dashboard_counts_per_annotator_batch_and_model(english, lead, progressed):
    english.force_login(lead)

    html = html_of(english.get(reverse("campaign_progress", args=["jp"])))

    assert re.search(r'data-count="rated">3<', html) and re.search(r'data-count="slots">12<', html)
    assert table_row(html, "by-annotator", "alice") == {
        "done": "2", "total": "6", "median_seconds": "30", "skips": "0", "flags": "1"}
    assert table_row(html, "by-annotator", "bob") == {
        "done": "1", "total": "2", "median_seconds": "30", "skips": "1", "flags": "0"}
    assert table_row(html, "by-batch", "1") == {
        "done": "3", "total": "6", "median_seconds": "30", "skips": "1", "flags": "1"}
    assert table_row(html, "by-annotator", "(unassigned)")["total"] == "1"  # the place bob gave up
    models = [table_row(html, "by-model", name) for name in ("model-0", "model-1")]
    assert sum(int(row["done"]) for row in models) == 3 and sum(int(row["total"]) for row in models) == 12


def test_progress_batch_table_is_paged_with_the_total_and_the_csv_for_all(english, lead, progressed, monkeypatch):
    monkeypatch.setattr(views, "PROGRESS_BATCHES_PER_PAGE", 1)
    english.force_login(lead)
    url = reverse("campaign_progress", args=["jp"])

    first, second = html_of(english.get(url)), html_of(english.get(url + "?batches=2"))

    assert table_row(first, "by-batch", "1")["total"] == "6" and 'data-key="2"' not in batch_table(first)
    assert "Batches 1–1 of 2 shown; the CSV has them all." in first and 'href="?batches=2"' in first
    assert table_row(second, "by-batch", "2")["total"] == "6" and 'data-key="1"' not in batch_table(second)
    assert "Batches 2–2 of 2 shown" in second and 'href="?batches=1"' in second
    assert table_row(second, "by-annotator", "alice")["done"] == "2"  # the other tables are whole on every page
    assert reverse("campaign_progress_csv", args=["jp"]) in first


def test_progress_batch_table_on_one_page_has_no_pager(english, lead, progressed):
    english.force_login(lead)

    html = html_of(english.get(reverse("campaign_progress", args=["jp"]) + "?batches=oops"))

    assert table_row(html, "by-batch", "1")["done"] == "3" and table_row(html, "by-batch", "2")["done"] == "0"
    assert "shown; the CSV has them all" not in html


def batch_table(html):
    return html.split('data-table="by-batch"', 1)[1].split("</table>", 1)[0]


def test_progress_csv_has_a_row_per_annotator_batch_and_model(english, lead, progressed):
    english.force_login(lead)

    response = english.get(reverse("campaign_progress_csv", args=["jp"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="jp-progress.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["dimension", "key", "done", "total", "median_seconds", "skips", "flags"]
    assert {row["dimension"] for row in rows} == {"annotator", "batch", "model"}
    alice = next(row for row in rows if row["dimension"] == "annotator" and row["key"] == "alice")
    assert alice == {"dimension": "annotator", "key": "alice", "done": "2", "total": "6", "median_seconds": "30.0",
                     "skips": "0", "flags": "1"}
    batches = [row for row in rows if row["dimension"] == "batch"]
    assert [(row["key"], row["done"], row["total"]) for row in batches] == [("1", "3", "6"), ("2", "0", "6")]


# Assignments and reassigning ----------------------------------------------------------------------------


def test_assignments_page_shows_progress_and_last_activity(english, lead, progressed):
    english.force_login(lead)

    html = html_of(english.get(reverse("campaign_assignments", args=["jp"])))

    rows = re.findall(r'<tr data-assignment="[^"]+" data-batch="(\d)" data-annotator="(\w+)"(.*?)</tr>', html, re.S)
    seen = {(batch, handle): row for batch, handle, row in rows}
    assert set(seen) == {("1", "alice"), ("1", "bob"), ("2", "alice"), ("2", "carol")}
    assert 'data-count="done">2 / 3<' in seen[("1", "alice")]
    assert 'data-count="done">0 / 3<' in seen[("2", "carol")] and "None yet" in seen[("2", "carol")]
    assert "<time" in seen[("1", "alice")]


def test_lead_reassigns_a_stalled_assignment_to_another_member(english, lead, progressed, team):
    alice, bob, carol = team
    stalled = Assignment.objects.get(batch__number=1, annotator=bob)
    english.force_login(lead)

    response = english.post(reverse("assignment_reassign", args=[stalled.public_id]),
                            {f"reassign-{stalled.public_id}-annotator": "carol"}, follow=True)

    assert "Batch 1 moved from bob to carol." in html_of(response)
    stalled.refresh_from_db()
    assert stalled.status == Assignment.Status.REASSIGNED
    assert ItemSlot.objects.filter(annotator=bob, rating__isnull=True).count() == 0
    assert ItemSlot.objects.filter(annotator=bob, rating__isnull=False).count() == 1  # his rating stays
    assert ItemSlot.objects.filter(annotator=carol, item__batch__number=1).count() == 2


def test_reassigning_to_someone_who_has_the_batch_names_the_field_and_changes_nothing(english, lead, progressed):
    stalled = Assignment.objects.get(batch__number=1, annotator__handle="bob")
    english.force_login(lead)
    before = list(ItemSlot.objects.order_by("id").values_list("annotator", "assignment"))

    response = english.post(reverse("assignment_reassign", args=[stalled.public_id]),
                            {f"reassign-{stalled.public_id}-annotator": "alice"})

    assert "New annotator: Select a valid choice. alice is not one of the available choices." in error_lines(
        html_of(response))
    assert list(ItemSlot.objects.order_by("id").values_list("annotator", "assignment")) == before
    assert Assignment.objects.get(pk=stalled.pk).status == Assignment.Status.ACTIVE


def test_the_reassign_choices_leave_out_whoever_has_the_batch(english, lead, running):
    english.force_login(lead)
    stalled = Assignment.objects.get(batch__number=1, annotator__handle="bob")

    html = html_of(english.get(reverse("campaign_assignments", args=["jp"])))

    row = html.split(f'data-assignment="{stalled.public_id}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<option value="(\w+)"', row) == ["carol"]


def test_lead_pages_run_a_fixed_number_of_queries(english, lead, db, django_assert_max_num_queries):
    """Members, batches and assignments are each read in a few grouped queries, not one per row."""
    def campaign_of_size(slug, batches):
        campaign = campaign_with_items(slug=slug, items=batches * 2)
        campaign.created_by = lead
        campaign.save()
        people = annotators(3, campaign, prefix=f"{slug}-")
        campaign_cut_batches(campaign=campaign, size=2, seed=1)
        campaign_assign_batches(campaign=campaign, annotators=people)
        return campaign

    english.force_login(lead)
    small, big = campaign_of_size("small", 1), campaign_of_size("big", 8)
    for name in ("campaign_manage", "campaign_assignments", "campaign_progress"):
        with CaptureQueriesContext(connection) as baseline:
            english.get(reverse(name, args=[small.slug]))
        with django_assert_max_num_queries(len(baseline.captured_queries)):
            assert english.get(reverse(name, args=[big.slug])).status_code == 200


# My work -------------------------------------------------------------------------------------------------


def test_my_work_shows_each_campaign_with_progress_and_a_start_or_continue_button(english, annotator, running, team):
    alice = team[0]
    english.force_login(annotator)
    html = html_of(english.get(reverse("my_work")))
    card = html.split('data-campaign="jp"', 1)[1].split("</li>", 1)[0]
    assert 'data-count="done">0<' in card and 'data-count="total">6<' in card and "#1, #2" in card
    assert "Start" in card and reverse("item_next", args=["jp"]) in card

    rate(alice, item_next(annotator=alice, campaign=running))

    card = html_of(english.get(reverse("my_work"))).split('data-campaign="jp"', 1)[1].split("</li>", 1)[0]
    assert 'data-count="done">1<' in card and "Continue" in card


def test_my_work_of_a_campaign_not_open_yet_has_no_start_button(english, annotator, led, team):
    english.force_login(annotator)

    card = html_of(english.get(reverse("my_work"))).split('data-campaign="jp"', 1)[1].split("</li>", 1)[0]

    assert "Not open yet." in card and reverse("item_next", args=["jp"]) not in card


def test_start_opens_the_next_item_and_says_when_nothing_is_left(english, annotator, running, team):
    alice = team[0]
    english.force_login(annotator)

    response = english.post(reverse("item_next", args=["jp"]))

    first = ItemSlot.objects.filter(annotator=alice).order_by("position").first().item
    assert response.status_code == 302 and response.url == reverse("item_rate", args=[first.public_id])
    for _ in range(6):
        rate(alice, item_next(annotator=alice, campaign=running))
    done = english.post(reverse("item_next", args=["jp"]), follow=True)
    assert "Nothing is left for you to rate in 日本語品質評価 for now." in html_of(done)


# The rating page ---------------------------------------------------------------------------------------


@pytest.fixture
def alices_item(running, team):
    return item_next(annotator=team[0], campaign=running)


def test_rating_page_shows_prompt_response_and_the_rubric_in_japanese(client, annotator, alices_item):
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_item.public_id])))

    assert alices_item.response.prompt.turns[0] in html and alices_item.response.turns[0] in html
    for label in ("関連性", "流暢性", "正確性", "詳細性", "総合評価"):
        assert label in html
    assert "応答がプロンプトへの回答として機能し" in html  # a criterion
    assert "質問に答えていない、または無関係な内容である。" in html  # a point descriptor
    assert "あなたの評価" in html and 'aria-pressed="false"' in html
    assert "キーボード" in html  # the help panel


def test_rating_page_in_english_after_switching(english, annotator, alices_item):
    english.force_login(annotator)

    html = html_of(english.get(reverse("item_rate", args=[alices_item.public_id])))

    assert "Relevance" in html and "Does not answer the prompt, or is off topic." in html
    assert "関連性" not in html


def test_rating_page_shows_every_turn_of_a_multi_turn_item(client, annotator, alices_item):
    Prompt.objects.filter(pk=alices_item.response.prompt_id).update(turns=["一つ目の質問", "二つ目の質問"])
    Response.objects.filter(pk=alices_item.response_id).update(turns=["一つ目の答え", "二つ目の答え"])
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_item.public_id])))

    positions = [html.index(text) for text in ("一つ目の質問", "一つ目の答え", "二つ目の質問", "二つ目の答え")]
    assert positions == sorted(positions)


def test_model_names_are_hidden_unless_the_campaign_shows_them(client, annotator, alices_item):
    client.force_login(annotator)
    url = reverse("item_rate", args=[alices_item.public_id])
    model = alices_item.response.model.name

    assert f'<span class="chip">{model}</span>' not in html_of(client.get(url))
    Campaign.objects.filter(pk=alices_item.campaign_id).update(show_model_names=True)
    assert f'<span class="chip">{model}</span>' in html_of(client.get(url))


def test_rating_page_never_shows_other_annotators_ratings(client, annotator, alices_item, team):
    bob = team[1]
    assert item_next(annotator=bob, campaign=alices_item.campaign) == alices_item  # batch 1 is bob's too
    rate(bob, alices_item, comment="ボブの秘密のコメント", scores={**FULL_SCORES, "overall": 1})
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_item.public_id])))

    assert "ボブの秘密のコメント" not in html and "bob" not in html
    assert embedded_json(html, "rate-rating") is None


def test_rating_page_restores_the_saved_draft(client, annotator, alices_item, team):
    draft_save(annotator=team[0], item=alices_item, scores={"relevance": 3}, comment="途中まで", seconds_spent=17)
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_item.public_id])))

    draft = embedded_json(html, "rate-draft")
    assert (draft["scores"], draft["comment"], draft["seconds_spent"]) == ({"relevance": 3}, "途中まで", 17)


def test_my_ratings_lists_my_ratings_and_links_to_revise_them(english, annotator, alices_item, team):
    rating = rate(team[0], alices_item, comment="初回")
    english.force_login(annotator)

    html = html_of(english.get(reverse("my_ratings", args=["jp"])))

    row = html.split(f'data-item="{alices_item.public_id}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'data-axis="(\w+)">(\d)<', row) == [(k, str(v)) for k, v in FULL_SCORES.items()]
    assert reverse("item_rate", args=[alices_item.public_id]) in row and "Revise" in row
    page = html_of(english.get(reverse("item_rate", args=[alices_item.public_id])))
    assert "You rated this item already (revision 1)" in page and "Submit revision" in page
    prefilled = embedded_json(page, "rate-rating")
    assert (prefilled["scores"], prefilled["comment"], prefilled["id"]) == (FULL_SCORES, "初回", str(rating.public_id))


def test_a_rating_in_a_closed_batch_is_final(english, annotator, alices_item, team):
    rate(team[0], alices_item)
    batch_close(batch=alices_item.batch)
    english.force_login(annotator)

    row = html_of(english.get(reverse("my_ratings", args=["jp"]))).split(
        f'data-item="{alices_item.public_id}"', 1)[1].split("</tr>", 1)[0]
    page = html_of(english.get(reverse("item_rate", args=[alices_item.public_id])))

    assert "Final" in row and "Revise" not in row
    assert "This batch is closed: its ratings are final" in page
    assert 'data-final="true"' in page and "data-submit disabled" in page


def test_my_ratings_never_lists_anyone_elses(english, other_annotator, alices_item, team):
    rate(team[0], alices_item)
    english.force_login(other_annotator)

    html = html_of(english.get(reverse("my_ratings", args=["jp"])))

    assert str(alices_item.public_id) not in html and "No ratings yet." in html


def test_the_campaign_page_links_leads_to_manage_and_annotators_to_rate(client, lead, annotator, led, team):
    client.force_login(lead)
    assert reverse("campaign_manage", args=["jp"]) in html_of(client.get(led.get_absolute_url()))
    client.force_login(annotator)
    html = html_of(client.get(led.get_absolute_url()))
    assert reverse("campaign_manage", args=["jp"]) not in html and reverse("my_work") in html



# The pairwise rating page -----------------------------------------------------------------------------------


@pytest.fixture
def pair_team(db, lead, annotator, other_annotator):
    """A pairwise campaign (A / B / both / neither) of three prompts, assigned to alice and bob, open."""
    campaign = pairwise_campaign(slug="pair", prompts=3)
    campaign.created_by, campaign.name = lead, "文脈の反映"
    campaign.save()
    for user in (annotator, other_annotator):
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
    campaign_cut_batches(campaign=campaign, size=3, order=Batch.Order.PROMPT)
    people = [annotator.annotator, other_annotator.annotator]
    campaign_assign_batches(campaign=campaign, annotators=people)
    campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
    return campaign, people


@pytest.fixture
def alices_pair(pair_team):
    campaign, (alice, _) = pair_team
    item = item_next(annotator=alice, campaign=campaign)
    prompt = item.response.prompt
    Prompt.objects.filter(pk=prompt.pk).update(turns=["一つ目の質問", "二つ目の質問"], context="敏感肌です")
    Response.objects.filter(pk=item.response_id).update(turns=["Aの一つ目", "Aの二つ目"])
    Response.objects.filter(pk=item.response_b_id).update(turns=["Bの一つ目", "Bの二つ目"])
    give_checklist(prompt, ["低刺激の製品を勧めている", "手順が具体的である"])
    return Item.objects.select_related("response__prompt").get(pk=item.pk)


def test_pairwise_page_shows_the_context_the_turns_side_by_side_and_the_verdicts_in_japanese(
        client, annotator, alices_pair):
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_pair.public_id])))

    assert "文脈" in html and "敏感肌です" in html
    assert "どちらの応答が文脈をよりよく反映していますか？" in html
    for label in ("左の方が良い", "右の方が良い", "どちらも良い", "どちらも良くない", "左の応答", "右の応答"):
        assert label in html
    assert re.findall(r'data-verdict="(\w+)"', html) == ["left", "right", "both", "neither"]
    first, second = ("A", "B") if order_for(alices_pair, annotator.annotator) == PairOrder.AB else ("B", "A")
    # Turn by turn: the user turn, then its two answers, left before right.
    texts = ["一つ目の質問", f"{first}の一つ目", f"{second}の一つ目", "二つ目の質問", f"{first}の二つ目", f"{second}の二つ目"]
    positions = [html.index(text) for text in texts]
    assert positions == sorted(positions)
    left = html.split('data-side="left" data-response-turn="1">', 1)[1].split("</p>", 1)[0]
    assert left.endswith(f"<p>{first}の一つ目")  # rendered as Markdown
    assert "チェックリスト" in html and "低刺激の製品を勧めている" in html and 'role="checkbox"' in html
    assert 'data-kind="pairwise"' in html and "キーボード" in html
    # Each point is answered for each response, and nothing speaks of "the better one" any more.
    check_ids = [str(check.id) for check in alices_pair.response.prompt.checklist.order_by("position")]
    assert re.findall(r'data-check="(\d+)" data-check-side="(\w+)"', html) == [
        (check_id, side) for check_id in check_ids for side in ("left", "right")]
    assert "左の応答と右の応答について別々に答えてください" in html and "良いと判断した" not in html


def test_pairwise_checklist_in_english_asks_about_each_response(english, annotator, alices_pair):
    english.force_login(annotator)

    html = html_of(english.get(reverse("item_rate", args=[alices_pair.public_id])))

    assert "Does each response meet each point?" in html
    assert "Answer for the left and the right response separately" in html
    assert "Answer for the upper and the lower response separately" in html  # shown when stacked
    assert "judged better" not in html and "← → or Tab pick the left or right response" in html
    assert html.count('data-check-side="right"') == 2


def test_pairwise_page_without_a_context_asks_which_response_is_better_and_switches_to_english(
        english, annotator, pair_team):
    campaign, (alice, _) = pair_team
    item = item_next(annotator=alice, campaign=campaign)
    english.force_login(annotator)

    html = html_of(english.get(reverse("item_rate", args=[item.public_id])))

    assert "Which response is better?" in html and "reflects the context" not in html
    assert "Left is better" in html and "Neither is good" in html and "左の方が良い" not in html
    assert "Checklist" not in html


def test_pairwise_page_shows_model_names_per_side_only_when_the_campaign_does(client, annotator, alices_pair):
    client.force_login(annotator)
    url = reverse("item_rate", args=[alices_pair.public_id])
    assert "model-a" not in html_of(client.get(url)) and "model-b" not in html_of(client.get(url))

    Campaign.objects.filter(pk=alices_pair.campaign_id).update(show_model_names=True)
    html = html_of(client.get(url))

    a_on = a_side(order_for(alices_pair, annotator.annotator))
    b_on = "right" if a_on == "left" else "left"
    assert f'data-model="{a_on}">model-a<' in html and f'data-model="{b_on}">model-b<' in html


def test_pairwise_page_restores_the_draft_in_screen_terms(client, annotator, alices_pair):
    alice = annotator.annotator
    check = alices_pair.response.prompt.checklist.first()
    draft_save(annotator=alice, item=alices_pair, verdict="right",
               checks={str(check.id): {"right": False, "left": True}})
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_pair.public_id])))

    draft = embedded_json(html, "rate-draft")
    assert (draft["verdict"], draft["checks"]) == ("right", {str(check.id): {"left": True, "right": False}})


def test_my_ratings_of_a_pairwise_campaign_show_the_verdict_as_it_was_chosen(english, annotator, alices_pair):
    rating_submit(annotator=annotator.annotator, item=alices_pair, verdict="right", idempotency_key=key())
    english.force_login(annotator)

    html = html_of(english.get(reverse("my_ratings", args=["pair"])))

    row = html.split(f'data-item="{alices_pair.public_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Your verdict" in html and "Right is better" in row and "Revise" in row


def test_likert_page_shows_the_checklist_and_restores_its_ticks(client, annotator, alices_item, team):
    yes, = give_checklist(alices_item.response.prompt, ["二つの例を挙げている"])
    draft_save(annotator=team[0], item=alices_item, scores={"relevance": 3}, checks={str(yes.id): True})
    client.force_login(annotator)

    html = html_of(client.get(reverse("item_rate", args=[alices_item.public_id])))

    assert "二つの例を挙げている" in html and f'data-check="{yes.id}"' in html
    assert "応答は各項目を満たしていますか？" in html
    assert embedded_json(html, "rate-draft")["checks"] == {str(yes.id): True}


def test_a_campaign_page_for_its_leads_says_why_in_japanese_to_an_annotator(client, annotator, led):
    CampaignMembership.objects.create(campaign=led, user=annotator, role=CampaignMembership.Role.ANNOTATOR)
    client.force_login(annotator)

    response = client.get(reverse("campaign_manage", args=[led.slug]))

    assert response.status_code == 403
    assert "この操作はこのキャンペーンのリードだけが行えます。" in html_of(response)

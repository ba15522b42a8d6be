"""Who may open what: every page and API endpoint of the rating workflow, walked as every kind of outsider.

The table below has one entry per named URL of annotation.urls and annotation.api_urls; a URL without an
entry fails the test, so a new page cannot ship without saying who may use it. For each entry, every
refused user must get 403 or 404 (a signed-in user), a redirect to sign-in (an anonymous visitor on a page)
or 401/403 (an anonymous API client), nothing in the database may change, and then the rightful users
get their answer, so a check that refuses everybody fails too.

The people: lena leads campaign "jp"; alice annotates it and holds item X; bob annotates it too but does
not hold X; eve annotates another campaign, which otto leads; rita is a researcher without a grant; gwen is a
researcher lena granted access to "jp"; judy adjudicates "jp".
"""

import json
import uuid
from dataclasses import dataclass, field
from importlib import import_module

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotation.bulk import bulk_insert
from annotation.figure_files import campaign_figure_dir
from annotation.models import (
    Adjudication, Annotator, Assignment, Batch, Campaign, CampaignMembership, Draft, GoldAnswer, GoldPauseLift, Item,
    ItemSlot, LanguageModel, Rating, RatingCheck, Response, Skip, Upload,
)
from annotation.services.quality import gold_answer_set
from annotation.services.series import series_create
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open, draft_save, item_next,
    rating_submit,
)

from .pairwise_factories import give_checklist, pairwise_campaign
from .workflow_factories import FULL_SCORES, campaign_with_items

OUTSIDERS = ("alice", "bob", "eve", "rita", "otto", "gwen", "judy")  # everybody but lena, for lead-only URLs
NOT_ADJUDICATORS_OF_JP = ("alice", "bob", "eve", "rita", "otto", "gwen")
NOT_ANNOTATORS_OF_JP = ("eve", "rita", "lena", "otto", "gwen")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")
NOT_LEADS = ("alice", "bob", "eve", "rita", "gwen", "judy")
SIGNED_IN = {"lena": 200, "alice": 200, "bob": 200, "eve": 200, "rita": 200, "otto": 200, "gwen": 200}


@dataclass(frozen=True)
class Rule:
    """How one URL is called, who is refused, and what the rightful users get."""

    method: str
    args: tuple  # names of World attributes, filled into the URL
    allowed: dict  # username -> expected status code
    refused: tuple
    data: dict = field(default_factory=dict)
    api: bool = False
    # Users who are served their own (other) work, and what they must not see: username -> text.
    must_not_show: dict = field(default_factory=dict)
    multipart: bool = False  # an upload: the data goes as multipart/form-data, "{file}" a fresh file


def page(method, args, allowed, refused, **extra):
    return Rule(method, args, allowed, refused, **extra)


def api(method, args, allowed, refused, **extra):
    return Rule(method, args, allowed, refused, api=True, **extra)


PAGES = {
    # Signed-in users: their own campaigns only; anonymous visitors are sent to sign in.
    "home": page("get", (), SIGNED_IN, (None,),
                 must_not_show={name: 'data-campaign="jp"' for name in ("eve", "rita", "otto")}),
    "campaign_detail": page("get", ("slug",), {"lena": 200, "alice": 200, "bob": 200, "gwen": 200},
                            ("eve", "rita", "otto", None),
                            must_not_show={"alice": 'data-model=', "bob": 'data-model='}),
    "rubric_list": page("get", (), SIGNED_IN, (None,)),
    "rubric_detail": page("get", ("rubric",), SIGNED_IN, (None,)),
    # Any lead creates campaigns and defines rubrics.
    "profile": page("get", (), SIGNED_IN, (None,)),
    "campaign_create": page("get", (), {"lena": 200, "otto": 200}, ("alice", "bob", "eve", "rita", "gwen", None)),
    "rubric_create": page("get", (), {"lena": 200, "otto": 200}, ("alice", "bob", "eve", "rita", "gwen", None)),
    "rubric_edit": page("get", ("rubric",), {"lena": 200, "otto": 200}, ("alice", "bob", "eve", "rita", "gwen", None)),
    # Annotators: their own work only.
    "my_work": page("get", (), {"alice": 200, "bob": 200, "eve": 200}, ("rita", "lena", "otto", None),
                    must_not_show={"eve": 'data-campaign="jp"'}),
    "item_next": page("post", ("slug",), {"alice": 302, "bob": 302}, NOT_ANNOTATORS_OF_JP + (None,)),
    "my_ratings": page("get", ("slug",), {"alice": 200, "bob": 200}, NOT_ANNOTATORS_OF_JP + (None,),
                       must_not_show={"bob": "{item}"}),
    "item_rate": page("get", ("item",), {"alice": 200}, ("bob",) + NOT_ANNOTATORS_OF_JP + (None,)),
    # Leads of this campaign only.
    "campaign_manage": page("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "member_add": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,), data={"username": "dave"}),
    # jp is a likert campaign, without exams: its lead gets 404 (test_exam_license.py records an exam campaign's).
    "exam_license": page("post", ("slug",), {"lena": 404}, OUTSIDERS + (None,), data={"license": "cc-by-4.0"}),
    "member_remove": page("post", ("slug", "bob_name"), {"lena": 302}, OUTSIDERS + (None,)),
    "annotator_tier": page("post", ("slug", "alice_handle"), {"lena": 302}, OUTSIDERS + (None,),
                           data={"tier": "vendor"}),
    "batches_cut": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,), data={"size": 2, "order": "prompt"}),
    "batches_assign": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,),
                           data={"annotators": ["alice", "carol"]}),
    "campaign_open": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,), data={"mode": "pull"}),
    "campaign_assignments": page("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "campaign_progress": page("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "campaign_progress_csv": page("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "batch_close": page("post", ("batch",), {"lena": 302}, OUTSIDERS + (None,)),
    # Adjudication: the leads and the members given the adjudicator role; its settings, the leads only.
    "adjudication_queue": page("get", ("slug",), {"lena": 200, "judy": 200}, NOT_ADJUDICATORS_OF_JP + (None,)),
    "adjudication_settings": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,),
                                  data={"threshold": 1, "extra_raters_max": 1}),
    "item_adjudicate": page("get", ("slug", "item"), {"lena": 200, "judy": 200}, NOT_ADJUDICATORS_OF_JP + (None,),
                            must_not_show={"judy": "alice"}),
    "assignment_reassign": page("post", ("assignment",), {"lena": 302}, OUTSIDERS + (None,),
                                data={"reassign-{assignment}-annotator": "bob"}),
    # An exam's figures: the campaign's members.
    "exam_figure": page("get", ("slug", "figure"), {"lena": 200, "alice": 200, "bob": 200, "gwen": 200, "judy": 200},
                        ("eve", "rita", "otto", None)),
    # Quality control: the campaign's leads.
    "campaign_qc": page("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "campaign_qc_settings": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,),
                                 data={"gold_share": "0.1", "gold_warn_after": 2, "gold_pause_after": 4}),
    "campaign_gold_answer_add": page("post", ("slug",), {"lena": 302}, OUTSIDERS + (None,),
                                     data={"prompt_id": "p1", "model": "late-model", "tolerance": 1,
                                           **{f"score_{axis}": score for axis, score in FULL_SCORES.items()}}),
    "campaign_gold_pause_lift": page("post", ("slug", "alice_handle"), {"lena": 302}, OUTSIDERS + (None,)),
    # Model series: any lead.
    "series_list": page("get", (), {"lena": 200, "otto": 200}, NOT_LEADS + (None,)),
    "series_new": page("get", (), {"lena": 200, "otto": 200}, NOT_LEADS + (None,)),
    "series_checkpoint_add": page("post", ("series",), {"lena": 302, "otto": 302}, NOT_LEADS + (None,),
                                  data={"step": 2000}),
}

APIS = {
    # Setup: campaigns, people, the caller's own token.
    "api_campaigns": api("get", (), {name: 200 for name in SIGNED_IN}, (None,),
                         must_not_show={name: '"slug":"jp"' for name in ("eve", "rita", "otto")}),
    "api_members": api("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "api_member": api("delete", ("slug", "bob_name"), {"lena": 204}, OUTSIDERS + (None,)),
    "api_annotator_tier": api("put", ("slug", "alice_handle"), {"lena": 200}, OUTSIDERS + (None,),
                              data={"tier": "vendor"}),
    "api_my_token": api("post", (), {name: 201 for name in SIGNED_IN}, (None,)),
    "api_my_work": api("get", (), {"alice": 200, "bob": 200, "eve": 200}, ("rita", "lena", "otto", None),
                       must_not_show={"eve": '"campaign":"jp"'}),
    "api_next_item": api("post", ("slug",), {"alice": 200, "bob": 204}, NOT_ANNOTATORS_OF_JP + (None,)),
    "api_item": api("get", ("item",), {"alice": 200}, ("bob",) + NOT_ANNOTATORS_OF_JP + (None,)),
    "api_draft": api("put", ("item",), {"alice": 204}, ("bob",) + NOT_ANNOTATORS_OF_JP + (None,),
                     data={"scores": {"relevance": 2}, "comment": "下書き", "seconds_spent": 3}),
    "api_rating": api("post", ("item",), {"alice": 201}, ("bob",) + NOT_ANNOTATORS_OF_JP + (None,),
                      data={"scores": FULL_SCORES, "idempotency_key": "{key}"}),
    "api_skip": api("post", ("item",), {"alice": 204}, ("bob",) + NOT_ANNOTATORS_OF_JP + (None,),
                    data={"reason": "cannot_judge"}),
    "api_batches": api("post", ("slug",), {"lena": 201}, OUTSIDERS + (None,), data={"size": 2}),
    "api_assign": api("post", ("slug",), {"lena": 201}, OUTSIDERS + (None,), data={"annotators": ["alice", "carol"]}),
    "api_open": api("post", ("slug",), {"lena": 200}, OUTSIDERS + (None,), data={"mode": "pull"}),
    "api_progress": api("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "api_reassign": api("post", ("assignment",), {"lena": 201}, OUTSIDERS + (None,), data={"annotator": "bob"}),
    "api_close_batch": api("post", ("batch",), {"lena": 200}, OUTSIDERS + (None,)),
    # Uploads: a campaign's by its leads, a rubric by any lead; following an upload, whoever may make it.
    "api_campaign_uploads": api("post", ("slug",), {"lena": 202}, OUTSIDERS + (None,),
                                data={"kind": "responses", "file": "{file}"}, multipart=True),
    "api_rubric_uploads": api("post", (), {"lena": 202, "otto": 202}, ("alice", "bob", "eve", "rita", None),
                              data={"file": "{rubric}"}, multipart=True),
    "api_upload": api("get", ("upload",), {"lena": 200}, OUTSIDERS + (None,)),
    "api_series_uploads": api("post", ("series",), {"lena": 202, "otto": 202}, NOT_LEADS + (None,),
                              data={"file": "{scores}"}, multipart=True),
    # Quality control: the known answer of a check item, to its annotator in training mode; the rest, the leads.
    "api_known_answer": api("get", ("gold_item",), {"alice": 200}, ("bob",) + NOT_ANNOTATORS_OF_JP + (None,)),
    "api_qc": api("get", ("slug",), {"lena": 200}, OUTSIDERS + (None,)),
    "api_gold_pause_lift": api("post", ("slug", "alice_handle"), {"lena": 200}, OUTSIDERS + (None,)),
}


def test_every_url_of_the_workflow_has_a_rule():
    for module, rules in (("annotation.urls", PAGES), ("annotation.api_urls", APIS)):
        names = [pattern.name for pattern in import_module(module).urlpatterns]
        assert None not in names, f"{module}: name every URL, so that this test can find it"
        missing = sorted(set(names) - set(rules))
        assert missing == [], f"{module}: say who may use {missing} in test_authorization.py"
        assert sorted(set(rules) - set(names)) == [], f"{module}: rules for URLs that no longer exist"


# The world ---------------------------------------------------------------------------------------------------


@dataclass
class World:
    slug: str
    rubric: str
    item: uuid.UUID
    batch: uuid.UUID
    assignment: uuid.UUID
    upload: uuid.UUID
    gold_item: uuid.UUID
    series: str = "llm-jp-auth"
    figure: str = "fig-1.png"
    bob_name: str = "bob"
    alice_handle: str = "alice"


def person(username, group):
    user = User.objects.create_user(username, password="x")
    user.groups.add(Group.objects.get(name=group))
    if group == "annotator":
        annotator_for_user(user)
    return user


def join(campaign, user, role=CampaignMembership.Role.ANNOTATOR):
    CampaignMembership.objects.create(campaign=campaign, user=user, role=role)


@pytest.fixture
def world(db):
    lena, otto = person("lena", "lead"), person("otto", "lead")
    alice, bob, carol, eve = (person(name, "annotator") for name in ("alice", "bob", "carol", "eve"))
    person("dave", "annotator")
    person("rita", "researcher")
    gwen = person("gwen", "researcher")

    jp = campaign_with_items(slug="jp", items=4, models=2)
    Campaign.objects.filter(pk=jp.pk).update(created_by=lena)
    for user in (alice, bob, carol):
        join(jp, user)
    join(jp, gwen, CampaignMembership.Role.RESEARCHER)
    join(jp, person("judy", "annotator"), CampaignMembership.Role.ADJUDICATOR)
    campaign_cut_batches(campaign=jp, size=2, order=Batch.Order.PROMPT)
    campaign_assign_batches(campaign=jp, annotators=[alice.annotator, carol.annotator])  # bob holds nothing
    campaign_open(campaign=jp, mode=Campaign.Mode.BATCHES)
    add_unbatched_items(jp)  # so that a lead's "cut batches" has something to cut
    item = item_next(annotator=alice.annotator, campaign=jp)

    other = campaign_with_items(slug="other", items=2, models=2)
    join(other, otto, CampaignMembership.Role.LEAD)
    join(other, eve)
    campaign_cut_batches(campaign=other, size=2, seed=1)
    campaign_open(campaign=other, mode=Campaign.Mode.PULL)
    item_next(annotator=eve.annotator, campaign=other)

    assignment = Assignment.objects.get(batch=item.batch, annotator=alice.annotator)
    upload = Upload.objects.create(kind=Upload.Kind.RESPONSES, campaign=jp, file_name="r.jsonl", path="/nowhere",
                                   size=1, created_by=lena, status=Upload.Status.DONE)
    gold = rated_gold_item(jp, alice.annotator, after=item)
    series_create(name="llm-jp-auth", created_by=lena)
    figures = campaign_figure_dir("jp")
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "fig-1.png").write_bytes(PNG)
    return World(slug="jp", rubric="quality-5x5", item=item.public_id, batch=item.batch.public_id,
                 assignment=assignment.public_id, upload=upload.public_id, gold_item=gold.public_id)


def rated_gold_item(campaign, annotator, after):
    """A gold item of ``campaign`` in training mode, rated by ``annotator``: the other item of the batch they hold."""
    Campaign.objects.filter(pk=campaign.pk).update(gold_training=True)
    gold = Item.objects.filter(batch=after.batch).exclude(pk=after.pk).first()
    gold_answer_set(item=gold, scores=FULL_SCORES, tolerance=1)
    rating_submit(annotator=annotator, item=Item.objects.get(pk=gold.pk), scores=FULL_SCORES,
                  idempotency_key=uuid.uuid4())
    return gold


def add_unbatched_items(campaign):
    late = LanguageModel.objects.create(name="late-model")
    prompts = {item.response.prompt_id for item in campaign.items.select_related("response")}
    responses = bulk_insert(Response, [{"prompt_id": pid, "model_id": late.id, "turns": ["遅れた答え"]} for pid in prompts])
    bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": rid} for rid in responses])


def snapshot():
    """Everything a workflow URL can change, in a comparable form."""
    return {
        "memberships": sorted(CampaignMembership.objects.values_list("campaign_id", "user_id", "role")),
        "tiers": sorted(Annotator.objects.values_list("handle", "tier")),
        "group_members": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "campaigns": sorted(Campaign.objects.values_list("id", "status", "mode", "disagreement_threshold",
                                                         "extra_raters_max")),
        "adjudications": sorted(Adjudication.objects.values_list("item_id", "verdict", "note")),
        "batches": sorted(Batch.objects.values_list("id", "closed_at")),
        "batched": Item.objects.filter(batch__isnull=False).count(),
        "assignments": sorted(Assignment.objects.values_list("id", "annotator_id", "status")),
        "slots": sorted(ItemSlot.objects.values_list("id", "annotator_id", "assignment_id", "rating_id")),
        "ratings": Rating.objects.count(),
        "ticks": RatingCheck.objects.count(),
        "drafts": sorted((pk, json.dumps(scores), verdict, json.dumps(checks))
                         for pk, scores, verdict, checks in Draft.objects.values_list("id", "scores", "verdict", "checks")),
        "skips": Skip.objects.count(),
        "uploads": Upload.objects.count(),
        "models": sorted(LanguageModel.objects.values_list("name", "step")),
        "quality": sorted(Campaign.objects.values_list("id", "gold_share", "gold_training", "gold_warn_after",
                                                       "gold_pause_after")),
        "gold": sorted(GoldAnswer.objects.values_list("item_id", "tolerance")),
        "pause_lifts": sorted(GoldPauseLift.objects.values_list("annotator_id", "misses_forgiven")),
    }


# Calling a URL -------------------------------------------------------------------------------------------


def url_of(name, rule, world):
    return reverse(name, args=[str(getattr(world, arg)) for arg in rule.args])


UPLOADED = {"{file}": ("r.jsonl", b'{"prompt_id": "u1", "prompt": "?", "model": "m", "response": "!"}\n'),
            "{scores}": ("scores.csv", b"step,task,metric,score\n1000,jcommonsenseqa,acc,0.5\n"),
            "{rubric}": ("rubric.json", b'{"key": "up", "name": "up", "kind": "pairwise", "verdicts": ["A", "B"]}')}


def payload(rule, world):
    """The rule's data with {assignment}, {key} and files filled in (a fresh idempotency key or file per call)."""
    filled = {}
    for key, value in rule.data.items():
        key = key.replace("{assignment}", str(world.assignment))
        filled[key] = str(uuid.uuid4()) if value == "{key}" else value
        if isinstance(value, str) and value in UPLOADED:
            filled[key] = SimpleUploadedFile(*UPLOADED[value])
    return filled


def call(client, name, rule, world):
    url = url_of(name, rule, world)
    if rule.method == "get":
        return client.get(url)
    if rule.api and rule.multipart:
        return getattr(client, rule.method)(url, payload(rule, world))
    if rule.api:
        return getattr(client, rule.method)(url, payload(rule, world), content_type="application/json")
    return client.post(url, payload(rule, world))


def client_as(client, username):
    client.logout()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def assert_refused(response, username, rule, url):
    who = username or "an anonymous visitor"
    if username is None and not rule.api:
        assert response.status_code == 302, f"{who} on {url}: {response.status_code}"
        assert response.url.startswith(reverse("login") + "?next="), f"{who} on {url}: sent to {response.url}"
    elif username is None:
        assert response.status_code in (401, 403), f"{who} on {url}: {response.status_code}"
    else:
        assert response.status_code in (403, 404), f"{who} on {url}: {response.status_code}"
        if not rule.api:  # the site's own error page, in Japanese, not a bare error
            assert "権限がありません" in response.content.decode() or "ページが見つかりません" in response.content.decode()


def all_rules():
    return [pytest.param(name, rule, id=name) for name, rule in {**PAGES, **APIS}.items()]


@pytest.mark.parametrize("name, rule", all_rules())
def test_outsiders_are_refused_and_the_rightful_users_are_served(client, world, name, rule):
    url = url_of(name, rule, world)
    before = snapshot()

    for username in rule.refused:
        assert_refused(call(client_as(client, username), name, rule, world), username, rule, url)

    assert snapshot() == before, f"a refused request to {url} changed the database"
    for username, status in rule.allowed.items():
        response = call(client_as(client, username), name, rule, world)
        assert response.status_code == status, f"{username} on {url}: {response.status_code}, not {status}"
        forbidden = rule.must_not_show.get(username)
        if forbidden:
            assert forbidden.replace("{item}", str(world.item)) not in response.content.decode()


def test_unknown_objects_are_404_for_everybody_who_could_otherwise_see_them(client, world):
    nobody = uuid.uuid4()
    client_as(client, "alice")
    assert client.get(reverse("item_rate", args=[nobody])).status_code == 404
    assert client.get(reverse("api_item", args=[nobody])).status_code == 404
    client_as(client, "lena")
    assert client.get(reverse("campaign_manage", args=["no-such-campaign"])).status_code == 404
    assert client.post(reverse("batch_close", args=[nobody])).status_code == 404
    assert client.post(reverse("assignment_reassign", args=[nobody])).status_code == 404


def test_only_adjudicators_record_a_final_label(client, world):
    """alice rated X; everybody but lena and judy is refused a final label for it, and nothing is written."""
    item = Item.objects.get(public_id=world.item)
    rating_submit(annotator=User.objects.get(username="alice").annotator, item=item, scores=FULL_SCORES,
                  idempotency_key=uuid.uuid4())
    url = reverse("item_adjudicate", args=[world.slug, world.item])
    label = {f"score-{axis}": score for axis, score in FULL_SCORES.items()}
    before = snapshot()
    for username in NOT_ADJUDICATORS_OF_JP + (None,):
        assert_refused(client_as(client, username).post(url, label), username, PAGES["item_adjudicate"], url)
    assert snapshot() == before
    for username in ("judy", "lena"):
        assert client_as(client, username).post(url, {**label, "note": username}).status_code == 302
        assert Adjudication.objects.get(item=item).note == username


def test_on_a_pair_annotators_see_only_their_own_verdicts_ticks_and_drafts(client, db):
    """alice and carol both rate the same pair; bob annotates the campaign but holds nothing."""
    alice, bob, carol = (person(name, "annotator") for name in ("alice", "bob", "carol"))
    pairs = pairwise_campaign(slug="pairs", prompts=1)
    for user in (alice, bob, carol):
        join(pairs, user)
    campaign_cut_batches(campaign=pairs, size=1, order=Batch.Order.PROMPT)
    campaign_assign_batches(campaign=pairs, annotators=[alice.annotator, carol.annotator])
    campaign_open(campaign=pairs, mode=Campaign.Mode.BATCHES)
    item = item_next(annotator=carol.annotator, campaign=pairs)
    secret, = give_checklist(item.response.prompt, ["条件を守っている"])
    rating_submit(annotator=carol.annotator, item=item, verdict="neither", checks={str(secret.id): {"right": False}},
                  comment="キャロルの秘密", idempotency_key=uuid.uuid4())
    draft_save(annotator=alice.annotator, item=item, verdict="both")

    alices_view = client_as(client, "alice").get(reverse("api_item", args=[item.public_id])).json()
    assert alices_view["rating"] is None and alices_view["draft"]["verdict"] == "both"
    assert alices_view["draft"]["checks"] == {} and "キャロル" not in json.dumps(alices_view, ensure_ascii=False)
    page = client.get(reverse("item_rate", args=[item.public_id])).content.decode()
    assert "キャロルの秘密" not in page and "neither" not in page.split('id="rate-rating"', 1)[1][:200]

    before = snapshot()
    client_as(client, "bob")
    assert client.get(reverse("api_item", args=[item.public_id])).status_code == 404
    draft = client.put(reverse("api_draft", args=[item.public_id]), {"verdict": "left"},
                       content_type="application/json")
    rating = client.post(reverse("api_rating", args=[item.public_id]),
                         {"verdict": "left", "checks": {str(secret.id): {"left": True}},
                          "idempotency_key": str(uuid.uuid4())},
                         content_type="application/json")
    assert (draft.status_code, rating.status_code) == (404, 404)
    assert snapshot() == before

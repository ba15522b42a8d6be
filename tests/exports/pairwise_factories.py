"""A pairwise campaign (A / B / tie) for agreement, report and release tests, imported the way a lead brings
it in, then given what the web would have recorded (order shown, seconds) and a judge job's verdicts.

Three models answer six prompts; the items are the pairs (CONTEXT, BASE), (OTHER, BASE) and (CONTEXT, OTHER)
of each prompt (18 items), each voted on by two or three of the annotators v1, v2, v3. A job of the judge
"pair-judge" judged every (CONTEXT, BASE) item in both orders, with one failed call; "vendor-pair" verdicts
were imported for the (OTHER, BASE) items.
"""

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import Annotator, Campaign, CampaignMembership, Item, Rating
from annotation.services import ratings_import, responses_import
from judging.models import JudgeConfig, JudgeJob, Verdict
from judging.services import verdicts_import
from tests.annotation.test_pairwise_imports import BASE, CONTEXT, OTHER, answers, pairwise_rubric, vote
from tests.judging.test_imports import write_jsonl
from tests.judging.test_pairwise_verdict_imports import judged

PROMPTS = range(1, 7)
SLUG = "arena"
VOTERS = ("v1", "v2", "v3")
SECRET_EMAIL = "voter.one@private.example"
COMMENT_MARK = "KOMENTO-対"
# Per prompt: votes on (CONTEXT, BASE), (OTHER, BASE) and (CONTEXT, OTHER), in the records' own terms.
VOTES = {
    1: (("A", "A", "A"), ("A", "A"), ("A", "tie")),
    2: (("A", "A", "B"), ("A", "B"), ("B", "B", "B")),
    3: (("A", "tie", "tie"), ("A", "A", "A"), ("B", "B")),
    4: (("B", "B"), ("tie", "A"), ("B", "A", "tie")),
    5: (("A", "B"), ("A", "A"), ("B", "B")),
    6: (("tie", "tie", "A"), ("B", "A", "A"), ("A", "B", "B")),
}
PAIRS = ((CONTEXT, BASE), (OTHER, BASE), (CONTEXT, OTHER))


def vote_records():
    records = []
    for p in PROMPTS:
        for (model_a, model_b), verdicts in zip(PAIRS, VOTES[p]):
            for index, verdict in enumerate(verdicts):
                # v2 names every pair the other way round: the same comparison, its verdict flipped.
                if VOTERS[(p + index) % 3] == "v2":
                    flipped = {"A": "B", "B": "A"}.get(verdict, verdict)
                    records.append(vote(f"q{p}", model_b, model_a, "v2", flipped, comment=f"{COMMENT_MARK}{p}"))
                else:
                    records.append(vote(f"q{p}", model_a, model_b, VOTERS[(p + index) % 3], verdict,
                                        comment=f"{COMMENT_MARK}{p}"))
    return records


def voted_campaign(tmp_path, lead=None, judge=True):
    pairwise_rubric(key="pairwise-abt", verdicts=("A", "B", "tie"))
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", answers(prompts=PROMPTS))),
                     campaign_slug=SLUG, rubric_key="pairwise-abt", pair=(CONTEXT, BASE))
    ratings_import(path=str(write_jsonl(tmp_path / "votes.jsonl", vote_records())), campaign_slug=SLUG)
    campaign = Campaign.objects.get(slug=SLUG)
    _as_on_the_web(campaign)
    if judge:
        _judge_job(campaign)
        verdicts_import(path=str(write_jsonl(tmp_path / "vendor.jsonl", [
            judged(f"q{p}", OTHER, BASE, "A" if p % 3 else "B", order="AB") for p in PROMPTS])),
            campaign_slug=SLUG, judge_name="vendor-pair")
    if lead is not None:
        CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
    return campaign


def _as_on_the_web(campaign):
    """v1 becomes a platform user (with an e-mail that must not leak); every vote gets an order and seconds."""
    user = User.objects.create_user(username="voter-one", email=SECRET_EMAIL, password="x")
    user.groups.add(Group.objects.get(name="annotator"))
    Annotator.objects.filter(handle="v1").update(user=user, is_external=False, tier=Annotator.Tier.PROFESSIONAL)
    for index, rating in enumerate(Rating.objects.filter(item__campaign=campaign).order_by("id")):
        Rating.objects.filter(pk=rating.pk).update(position="AB" if index % 2 else "BA", seconds_spent=20 + index)


def _judge_job(campaign):
    config = JudgeConfig.objects.create(name="pair-judge", base_url="http://127.0.0.1:9/v1", model="gpt-4o",
                                        template="pairwise-ja", template_version=1)
    job = JudgeJob.objects.create(campaign=campaign, config=config, status=JudgeJob.Status.SUCCEEDED,
                                  spec={"model": "gpt-4o-2024-08-06", "template": "pairwise-ja",
                                        "template_version": 1, "temperature": 0.0})
    items = Item.objects.filter(campaign=campaign, response__model__name=CONTEXT, response_b__model__name=BASE)
    for index, item in enumerate(items.order_by("id")):
        Verdict.objects.create(judge=config, job=job, item=item, order="AB", verdict="A", rationale="文脈",
                               parse_status=Verdict.ParseStatus.OK)
        if index == 0:
            Verdict.objects.create(judge=config, job=job, item=item, order="BA",
                                   parse_status=Verdict.ParseStatus.PARSE_ERROR, error_kind="parse_error")
        else:
            Verdict.objects.create(judge=config, job=job, item=item, order="BA", verdict="A" if index < 4 else "B",
                                   parse_status=Verdict.ParseStatus.OK)


@pytest.fixture
def pairwise_campaign(db, tmp_path):
    return voted_campaign(tmp_path)

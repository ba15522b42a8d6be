"""A small rated campaign for release tests: three models' answers to four prompts, rated by two platform
annotators (with user names, e-mail addresses and comments that must not leak) and an external vendor
rater, judged by an LLM judge job (with one failed verdict) and by imported verdicts."""

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import (
    Annotator, Campaign, CampaignMembership, Item, LanguageModel, Prompt, Rating, RatingScore, Response, Rubric,
)
from judging.models import JudgeConfig, JudgeJob, Verdict, VerdictScore

AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
SECRET_USERS = (("alice-kusanagi", "alice.kusanagi@private.example"), ("bob-tachikoma", "bob.tachikoma@private.example"))
VENDOR_HANDLE = "vendor-sekai-co"
COMMENT_MARK = "KOMENTO-機密"
# Overall score per (prompt, model) and annotator: model-c is best, model-a worst; prompt 3 is a tie.
OVERALL = {
    0: {"model-a": (1, 2), "model-b": (3, 3), "model-c": (5, 4)},
    1: {"model-a": (2, 2), "model-b": (2, 3), "model-c": (4, 4)},
    2: {"model-a": (3, 3), "model-b": (4, 4), "model-c": (5, 5)},
    3: {"model-a": (3, 3), "model-b": (3, 3)},  # model-c on prompt 3 is never rated
}


def platform_annotator(username, email):
    existing = Annotator.objects.filter(handle=username).first()
    if existing:
        return existing
    user = User.objects.create_user(username=username, email=email, password="x")
    user.groups.add(Group.objects.get(name="annotator"))
    return Annotator.objects.create(user=user, handle=username, tier=Annotator.Tier.GRADUATE)


def rated_campaign(slug="jp-release", lead=None):
    """The campaign described in the module docstring; returns it."""
    rubric = Rubric.objects.get(key="quality-5x5")
    campaign = Campaign.objects.create(slug=slug, name="リリース試験", rubric=rubric, created_by=lead)
    if lead is not None:
        CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
    axes = {axis.key: axis for axis in rubric.axes.all()}
    models = {name: LanguageModel.objects.get_or_create(name=name, defaults={"family": "test"})[0]
              for name in ("model-a", "model-b", "model-c")}
    annotators = [platform_annotator(*pair) for pair in SECRET_USERS]
    annotators.append(Annotator.objects.get_or_create(
        handle=VENDOR_HANDLE, defaults={"tier": Annotator.Tier.VENDOR, "is_external": True})[0])
    for p in range(4):
        prompt = Prompt.objects.create(source=slug, external_id=f"q{p}", turns=[f"質問{p}です。", f"続きの質問{p}"],
                                       metadata={"note": "メタ"})
        for name, model in models.items():
            response = Response.objects.create(prompt=prompt, model=model, turns=[f"{name}の答え{p}", f"二つ目{p}"])
            item = Item.objects.create(campaign=campaign, response=response)
            if name not in OVERALL[p]:
                continue
            for index, overall in enumerate(OVERALL[p][name]):
                annotator = annotators[(p + index) % 3]
                rating = Rating.objects.create(item=item, annotator=annotator, seconds_spent=30 + p,
                                               comment=f"{COMMENT_MARK} {p}-{name}-{index}")
                RatingScore.objects.bulk_create(
                    RatingScore(rating=rating, axis=axes[key], score=overall if key == "overall" else min(5, overall + 1))
                    for key in AXES
                )
    _judge(campaign, axes)
    return campaign


def _judge(campaign, axes):
    config, _ = JudgeConfig.objects.get_or_create(
        name="gpt-judge", defaults={"base_url": "http://127.0.0.1:9/v1", "model": "gpt-4o", "template": "quality-ja",
                                    "template_version": 2, "rubric": campaign.rubric})
    job = JudgeJob.objects.create(campaign=campaign, config=config, status=JudgeJob.Status.SUCCEEDED,
                                  spec={"model": "gpt-4o-2024-08-06", "template": "quality-ja", "template_version": 2,
                                        "temperature": 0.0})
    imported, _ = JudgeConfig.objects.get_or_create(name="vendor-judge", defaults={"is_external": True})
    items = list(campaign.items.order_by("id"))
    for index, item in enumerate(items):
        failed = index == 0
        verdict = Verdict.objects.create(
            judge=config, job=job, item=item, rationale="理由",
            parse_status=Verdict.ParseStatus.PARSE_ERROR if failed else Verdict.ParseStatus.OK,
        )
        if not failed:
            VerdictScore.objects.bulk_create(VerdictScore(verdict=verdict, axis=axis, score=3 + index % 2)
                                             for axis in axes.values())
    for item in items[:4]:
        verdict = Verdict.objects.create(judge=imported, item=item, parse_status=Verdict.ParseStatus.IMPORTED)
        VerdictScore.objects.create(verdict=verdict, axis=axes["overall"], score=4)


def counts(campaign):
    """What the database holds for the campaign, to compare with the files."""
    scores = RatingScore.objects.filter(rating__item__campaign=campaign).count()
    verdict_scores = VerdictScore.objects.filter(verdict__item__campaign=campaign).count()
    failed = Verdict.objects.filter(item__campaign=campaign, scores__isnull=True).count()
    return {
        "ratings": scores,
        "items": campaign.items.count(),
        "prompts": Prompt.objects.filter(responses__items__campaign=campaign).distinct().count(),
        "responses": Response.objects.filter(items__campaign=campaign).distinct().count(),
        "models": LanguageModel.objects.filter(responses__items__campaign=campaign).distinct().count(),
        "verdicts": verdict_scores + failed,
        # One row per axis × model × source (the humans and each judge with verdicts in the campaign).
        "leaderboard": campaign.rubric.axes.count() * LanguageModel.objects.filter(
            responses__items__campaign=campaign).distinct().count() * (1 + Verdict.objects.filter(
                item__campaign=campaign).values("judge").distinct().count()),
    }


@pytest.fixture(autouse=True)
def few_bootstrap_replicates(monkeypatch):
    """Builds in tests compute their intervals from 50 replicates instead of 1,000: the figures are checked
    for shape and presence, and a build takes a third of the time."""
    monkeypatch.setattr("exports.statistics.REPLICATES", 50)

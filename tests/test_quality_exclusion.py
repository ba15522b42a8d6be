"""Gold and attention items never count: every figure of a campaign is the same after gold and attention items,
with ratings and judge verdicts far from the others, are added to it (annotation.quality_items.counted)."""

import io
import json

import pandas as pd
import pytest
from django.core.management import call_command

from annotation.models import Campaign, Item, Prompt, Rating, RatingScore, Response
from annotation.services.quality import attention_items_make, gold_answer_set
from exports.models import Release
from exports.services import release_build, release_create, release_folder
from judging.models import JudgeConfig, Verdict, VerdictScore
from tests.exports.pairwise_factories import voted_campaign
from tests.exports.report_factories import rated_campaign

JUDGE = {"likert": "gpt-4o-judge", "pairwise": "pair-judge"}


def command_json(name, **options):
    out = io.StringIO()
    call_command(name, json=True, stdout=out, **options)
    return json.loads(out.getvalue())


def agreement(campaign):
    return command_json("agreement", campaign=campaign.slug, replicates=20)


def meta_eval(campaign):
    return command_json("meta_eval", campaign=campaign.slug, judge=JUDGE[campaign.rubric.kind], replicates=20)


def leaderboard(campaign):
    return command_json("leaderboard", campaign=campaign.slug, replicates=20)


def ranking(campaign):
    return (command_json("ranking", campaign=campaign.slug, replicates=20),
            command_json("ranking", campaign=campaign.slug, judge=JUDGE["pairwise"], replicates=20))


def lengths(campaign):
    from exports.reports.campaign import campaign_lengths
    return campaign_lengths(campaign)


def quick_export(campaign):
    out = io.StringIO()
    call_command("export_ratings", campaign=campaign.slug, stdout=out)
    return sorted(out.getvalue().splitlines())


def release_tables(campaign):
    """Every table of a new release, its annotators' pseudonyms (new in each release) numbered in order of
    appearance; and its statistics but the size of its files (which the pseudonyms change)."""
    version = f"1.0.{Release.objects.count()}"
    release = release_build(release_id=release_create(campaigns=[campaign], version=version, queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    folder = release_folder(release)
    tables = {path.stem: renamed(pd.read_parquet(path)).to_json() for path in sorted((folder / "data").glob("*.parquet"))}
    return tables, {key: value for key, value in release.stats.items() if key != "bytes"}


def renamed(table):
    names = {}
    for column in table.columns:
        if any(isinstance(value, str) and value.startswith("ann-") for value in table[column].head(1)):
            table[column] = table[column].map(lambda name: names.setdefault(name, len(names)))
        elif len(table) and hasattr(table[column].iloc[0], "__len__") and any(
                str(value).startswith("ann-") for value in list(table[column].iloc[0])[:1]):
            table[column] = table[column].map(lambda names_: [names.setdefault(name, len(names)) for name in names_])
    return table


FIGURES = {
    "likert": {"agreement": agreement, "meta_eval": meta_eval, "leaderboard": leaderboard,
               "quick_export": quick_export, "release": release_tables},
    "pairwise": {"agreement": agreement, "meta_eval": meta_eval, "ranking": ranking, "lengths": lengths,
                 "quick_export": quick_export, "release": release_tables},
}


def campaign_of(kind, tmp_path):
    return rated_campaign(tmp_path) if kind == "likert" else voted_campaign(tmp_path)


def add_judgments(item, extreme):
    """Ratings by the campaign's annotators and verdicts by its judges, all at one end of the scale."""
    campaign = item.campaign
    axes = list(campaign.rubric.axes.all())
    raters = {rating.annotator for rating in Rating.objects.filter(item__campaign=campaign).select_related("annotator")}
    for annotator in raters:
        rating = Rating.objects.create(item=item, annotator=annotator, verdict="" if axes else extreme["verdict"])
        RatingScore.objects.bulk_create(RatingScore(rating=rating, axis=axis, score=extreme["score"]) for axis in axes)
    for judge, job in Verdict.objects.filter(item__campaign=campaign).values_list("judge", "job").distinct():
        verdict = Verdict.objects.create(judge_id=judge, job_id=job, item=item, order="AB" if not axes else "",
                                         verdict="" if axes else extreme["verdict"],
                                         parse_status=Verdict.ParseStatus.IMPORTED if job is None else
                                         Verdict.ParseStatus.OK)
        VerdictScore.objects.bulk_create(VerdictScore(verdict=verdict, axis=axis, score=extreme["score"])
                                         for axis in axes)


def add_quality_items(campaign):
    extreme = {"score": 1, "verdict": "B"}
    for copy in attention_items_make(campaign=campaign, share=0.5, seed=3):
        add_judgments(copy, extreme)
    model_items = Item.objects.filter(campaign=campaign).select_related("response", "response_b").first()
    prompt = Prompt.objects.create(source="gold", external_id="gold-1", turns=["金の質問"])
    response = Response.objects.create(prompt=prompt, model=model_items.response.model, turns=["金の答え"])
    second = (Response.objects.create(prompt=prompt, model=model_items.response_b.model, turns=["別の答え"])
              if model_items.response_b_id else None)
    gold = Item.objects.create(campaign=campaign, response=response, response_b=second)
    add_judgments(gold, extreme)
    if second is None:
        gold_answer_set(item=gold, scores={"overall": 5})
    else:
        gold_answer_set(item=gold, verdict="A")


@pytest.mark.parametrize("kind,figure", [(kind, name) for kind, figures in FIGURES.items() for name in figures])
def test_gold_and_attention_items_change_no_figure(db, tmp_path, releases_root, kind, figure):
    campaign = campaign_of(kind, tmp_path)
    compute = FIGURES[kind][figure]
    before = compute(campaign)
    add_quality_items(campaign)
    assert Item.objects.filter(campaign=campaign).exclude(quality_role="").count() > 1
    assert compute(campaign) == before


@pytest.mark.parametrize("kind", list(FIGURES))
def test_a_release_carries_the_checks_in_their_own_table_only_when_the_lead_opts_in(db, tmp_path, releases_root,
                                                                                      kind):
    campaign = campaign_of(kind, tmp_path)
    add_quality_items(campaign)
    tables, _ = release_tables(campaign)
    assert "quality_checks" not in tables
    Campaign.objects.filter(pk=campaign.pk).update(release_quality_items=True)
    campaign.refresh_from_db()
    opted, _ = release_tables(campaign)
    assert {name: table for name, table in opted.items() if name != "quality_checks"} == tables
    checks = pd.read_json(io.StringIO(opted["quality_checks"]))
    quality_ratings = Rating.objects.filter(item__campaign=campaign).exclude(item__quality_role="")
    per_rating = campaign.rubric.axes.count() or 1
    assert len(checks) == quality_ratings.count() * per_rating
    assert set(checks["role"]) == {"gold", "attention"}
    gold = checks[checks["role"] == "gold"]
    known = gold["known_score"] if per_rating > 1 else gold["known_verdict"]
    assert known.notna().any() and checks.loc[checks["role"] == "attention", "original_item_id"].notna().all()

"""Campaigns with human ratings and judge verdicts, imported from files the way a lead would bring them in."""

import json

import numpy as np

from annotation.models import Campaign, CampaignMembership
from annotation.services import ratings_import, responses_import
from judging.services import verdicts_import

QUALITY_AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
MODELS = ("calm2-7b", "gpt-4o", "llm-jp-13b")
ANNOTATORS = ("ayumi", "kenta", "sora")


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return str(path)


def latent_scores(prompts, models=MODELS, seed=0):
    """A latent quality per (prompt, model, axis): models differ (the later in MODELS, the better)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(1.5, 4.0, size=(prompts, 1, len(QUALITY_AXES)))
    return base + np.arange(len(models))[np.newaxis, :, np.newaxis] * 0.5


def clip(value):
    return int(np.clip(np.rint(value), 1, 5))


def import_responses(tmp_path, slug, prompts, models=MODELS):
    records = [{"prompt_id": f"q{p}", "prompt": f"質問{p}", "model": model, "response": f"{model}の答え{p}"}
               for p in range(prompts) for model in models]
    responses_import(path=write_jsonl(tmp_path / f"{slug}-responses.jsonl", records), campaign_slug=slug)
    return Campaign.objects.get(slug=slug)


def human_records(prompts, models=MODELS, annotators=ANNOTATORS, per_item=2, seed=0, axes=QUALITY_AXES):
    """Each item rated by `per_item` annotators (rotating), with some rater noise."""
    rng = np.random.default_rng(seed + 1)
    quality = latent_scores(prompts, models, seed)
    records = []
    for p in range(prompts):
        for m, model in enumerate(models):
            for offset in range(per_item):
                annotator = annotators[(p + m + offset) % len(annotators)]
                scores = {axis: clip(quality[p, m, a] + rng.normal(0, 0.6)) for a, axis in enumerate(QUALITY_AXES)
                          if axis in axes}
                records.append({"prompt_id": f"q{p}", "model": model, "annotator": annotator, "scores": scores})
    return records


def judge_records(prompts, models=MODELS, samples=1, leniency=0.5, seed=0):
    rng = np.random.default_rng(seed + 2)
    quality = latent_scores(prompts, models, seed)
    return [
        {"prompt_id": f"q{p}", "model": model, "sample": sample,
         "scores": {axis: clip(quality[p, m, a] + leniency + rng.normal(0, 0.5)) for a, axis in enumerate(QUALITY_AXES)}}
        for p in range(prompts) for m, model in enumerate(models) for sample in range(samples)
    ]


def rated_campaign(tmp_path, slug="jp-report", prompts=12, lead=None, judge="gpt-4o-judge", samples=1,
                   ratings=None, verdicts=None):
    """A likert campaign (quality-5x5) with human ratings and, unless judge is None, imported verdicts."""
    campaign = import_responses(tmp_path, slug, prompts)
    records = human_records(prompts) if ratings is None else ratings
    if records:
        ratings_import(path=write_jsonl(tmp_path / f"{slug}-ratings.jsonl", records), campaign_slug=slug)
    if judge:
        verdict_records = judge_records(prompts, samples=samples) if verdicts is None else verdicts
        verdicts_import(path=write_jsonl(tmp_path / f"{slug}-{judge}.jsonl", verdict_records), campaign_slug=slug,
                        judge_name=judge)
    if lead is not None:
        CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
    return campaign


def safety_judge_job(campaign, scores_by_model, api_error_as_lowest):
    """A finished job of the judge "guard-judge" on a safety campaign: per model, its score of each prompt q0, q1,
    ... in order (None an API error, a verdict without scores)."""
    from annotation.models import Item, RubricAxis
    from judging.models import JudgeConfig, JudgeJob, Verdict, VerdictScore

    config = JudgeConfig.objects.create(name="guard-judge", rubric=campaign.rubric, base_url="http://127.0.0.1:9/v1",
                                        model="m", template="safety")
    job = JudgeJob.objects.create(campaign=campaign, config=config, spec={}, api_error_as_lowest=api_error_as_lowest,
                                  status=JudgeJob.Status.SUCCEEDED)
    axis = RubricAxis.objects.get(rubric=campaign.rubric, key="safety")
    for model, scores in scores_by_model.items():
        for p, score in enumerate(scores):
            item = Item.objects.get(campaign=campaign, response__model__name=model, response__prompt__external_id=f"q{p}")
            if score is None:
                Verdict.objects.create(judge=config, job=job, item=item, parse_status=Verdict.ParseStatus.API_ERROR,
                                       error_kind="content_filter")
            else:
                VerdictScore.objects.create(verdict=Verdict.objects.create(judge=config, job=job, item=item),
                                            axis=axis, score=score)
    return job

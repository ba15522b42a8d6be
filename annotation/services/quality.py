"""Writes for quality control: gold answers, attention items, their mixing into batches, lifting a pause.

Gold items are items of the campaign with a known answer (GoldAnswer). Attention items are degraded copies of
the campaign's items (annotation.degradations): a copy of the response (Response.copy_of, same prompt and
model, so nothing tells it apart) and an item for it whose ``original`` is the item copied. When batches are
cut (services.workflow.campaign_cut_batches, which pull mode uses too), every attention copy goes into the
batch of its original, so the annotators who rate the copy rate the original too, and each batch takes gold
items at the campaign's ``gold_share``; a gold item already in a batch is copied for the next. Both sit at
seeded random places among the batch's items. Neither counts toward figures (annotation.quality_items).
"""

import random

from django.db import transaction

from annotation.degradations import DEGRADATIONS, degrade
from annotation.errors import FieldError, HyokaError, RecordError, collected
from annotation.models import Campaign, GoldAnswer, GoldPauseLift, Item, Response
from annotation.quality_items import addressable
from annotation.readers import read_records
from annotation.records import score_value, swapped_verdict, text_field
from annotation.rubric_axes import rubric_axes

from .pairwise_imports import pair_key


# Gold answers --------------------------------------------------------------------------------------------

@transaction.atomic
def gold_answer_set(*, item, scores=None, verdict="", tolerance=0, explanation=""):
    """Make ``item`` a gold item with this known answer (scores per axis, or a verdict), or change its answer.
    Its ratings stop counting toward the figures."""
    answer = _clean_gold_answer(item.campaign, scores or {}, verdict or "", tolerance)
    if item.original_id is not None or item.quality_role == Item.QualityRole.ATTENTION:
        raise HyokaError("this item is a copy made for quality control; set the answer on the item it copies.")
    GoldAnswer.objects.update_or_create(item=item, defaults={**answer, "explanation": explanation or ""})
    Item.objects.filter(pk=item.pk).update(quality_role=Item.QualityRole.GOLD)
    item.quality_role = Item.QualityRole.GOLD
    return item.gold_answer


def gold_answer_remove(*, item):
    """The item is an ordinary item again (its copies made for other batches stay gold)."""
    GoldAnswer.objects.filter(item=item).delete()
    Item.objects.filter(pk=item.pk).update(quality_role=Item.QualityRole.NONE)


def _clean_gold_answer(campaign, scores, verdict, tolerance):
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise FieldError("tolerance", f"expected a whole number of points, 0 or more, got {tolerance!r}")
    if not isinstance(scores, dict):
        raise FieldError("scores", "expected an object of axis → score")
    axes = {axis.key: axis for axis in rubric_axes(campaign.rubric)}
    cleaned = {}
    for key, value in scores.items():
        if key not in axes:
            raise FieldError(f"scores.{key}", f"the rubric has no axis {key!r}")
        if value not in (None, ""):
            cleaned[key] = score_value(value, f"scores.{key}", (axes[key].min_score, axes[key].max_score))
    if verdict and verdict not in campaign.rubric.verdicts:
        raise FieldError("verdict", f"{verdict!r} is not a verdict of rubric {campaign.rubric.key}")
    if not cleaned and not verdict:
        raise FieldError("scores", "give the known score of at least one axis (or the known verdict of a pair)")
    return {"scores": cleaned, "verdict": verdict, "tolerance": tolerance}


@transaction.atomic
def gold_import(*, path, campaign_slug, file_format=None):
    """Known answers from JSONL or CSV: {prompt_id, model, scores, tolerance?, explanation?} for a response, or
    {prompt_id, model_a, model_b, verdict, explanation?} for a pair (named either way round). All or nothing:
    a bad record raises FILE:LINE: field: reason and nothing is written. Returns how many gold items were set."""
    from annotation.agreement_selectors import campaign_for_report  # numpy, pandas, scipy: not at start-up

    campaign = campaign_for_report(campaign_slug)
    items = _addressable_items(campaign)
    answers = []
    for line, record in read_records(path, file_format):
        try:
            answers.append(_gold_record(record, items))
        except FieldError as error:
            failure = RecordError(path, line, error.field, error.reason)
            if not collected(failure):
                raise failure from None
    for item, scores, verdict, tolerance, explanation in answers:
        gold_answer_set(item=item, scores=scores, verdict=verdict, tolerance=tolerance, explanation=explanation)
    return len(answers)


@transaction.atomic
def gold_answer_from_record(*, campaign, record):
    """One known answer given as an import record (the QC page's form sends one): the item it names becomes gold."""
    item, scores, verdict, tolerance, explanation = _gold_record(record, _addressable_items(campaign))
    return gold_answer_set(item=item, scores=scores, verdict=verdict, tolerance=tolerance, explanation=explanation)


@transaction.atomic
def campaign_quality_settings_set(*, campaign, gold_share, gold_training, gold_warn_after, gold_pause_after,
                                  release_quality_items):
    """The campaign's quality-control settings: share of gold items per batch cut from now on, training mode,
    warning and pause thresholds (misses; None: never), and whether releases carry the QC table."""
    if not 0 <= gold_share < 1:
        raise FieldError("gold_share", "expected a share from 0 up to (not including) 1")
    if gold_warn_after is not None and gold_pause_after is not None and gold_warn_after > gold_pause_after:
        raise FieldError("gold_warn_after", "the warning should come before the pause (fewer misses)")
    Campaign.objects.filter(pk=campaign.pk).update(
        gold_share=gold_share, gold_training=gold_training, gold_warn_after=gold_warn_after,
        gold_pause_after=gold_pause_after, release_quality_items=release_quality_items)
    campaign.refresh_from_db()
    return campaign


def _addressable_items(campaign):
    """{(prompt id, model): item} and {pair key: item} of the campaign's items a record can name."""
    found = {}
    rows = Item.objects.filter(addressable(), campaign=campaign).select_related(
        "campaign__rubric", "response__prompt", "response__model", "response_b__model")
    for item in rows:
        prompt_id = item.response.prompt.external_id
        if item.response_b_id:
            found[pair_key(prompt_id, item.response.model.name, item.response_b.model.name)] = item
        else:
            found[(prompt_id, item.response.model.name)] = item
    return found


def _gold_record(record, items):
    prompt_id, verdict = text_field(record, "prompt_id"), text_field(record, "verdict", required=False)
    if "model_a" in record or "model_b" in record:
        model_a, model_b = text_field(record, "model_a"), text_field(record, "model_b")
        item = items.get(pair_key(prompt_id, model_a, model_b))
        if item is not None and item.response.model.name != model_a:
            verdict = swapped_verdict(verdict)
        what = f"the pair {model_a} / {model_b}"
    else:
        item = items.get((prompt_id, text_field(record, "model")))
        what = f"model {record.get('model')}"
    if item is None:
        raise FieldError("prompt_id", f"the campaign has no item for prompt {prompt_id!r} and {what}")
    tolerance = record.get("tolerance", 0)
    if isinstance(tolerance, float) and tolerance.is_integer():
        tolerance = int(tolerance)
    _clean_gold_answer(item.campaign, record.get("scores") or {}, verdict, tolerance)
    return item, record.get("scores") or {}, verdict, tolerance, text_field(record, "explanation", required=False)


# Attention items -----------------------------------------------------------------------------------------

@transaction.atomic
def attention_items_make(*, campaign, share, how="splice", seed=None):
    """Degraded copies of ``share`` (0 to 1) of the campaign's ordinary items still outside batches; the splice
    takes its phrase from the response of another prompt. Returns the new attention items."""
    if not 0 < share <= 1:
        raise FieldError("share", f"expected a share above 0 and at most 1, got {share}")
    if how not in DEGRADATIONS:
        raise FieldError("degradation", f"choose one of {', '.join(DEGRADATIONS)}")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    candidates = list(Item.objects.filter(campaign=campaign, quality_role="", batch__isnull=True)
                      .exclude(copies__quality_role=Item.QualityRole.ATTENTION)
                      .select_related("response").order_by("id"))
    if len(candidates) < 2:
        raise HyokaError(f"campaign {campaign.slug} has fewer than two ordinary items outside batches; make "
                         "attention items after importing responses and before cutting batches.")
    rng = random.Random(seed if seed is not None else random.SystemRandom().randrange(2**31))
    chosen = rng.sample(candidates, max(1, round(share * len(candidates))))
    return [_attention_copy(item, _donor(item, candidates, rng), how, rng.randrange(2**31)) for item in chosen]


def _donor(item, candidates, rng):
    others = [other for other in candidates if other.response.prompt_id != item.response.prompt_id]
    return rng.choice(others or [other for other in candidates if other.pk != item.pk])


def _attention_copy(item, donor, how, seed):
    response = item.response
    copy = Response.all_objects.create(
        prompt_id=response.prompt_id, model_id=response.model_id, copy_of=response, metadata=response.metadata,
        turns=degrade(response.turns, donor.response.turns, how, seed),
    )
    return Item.objects.create(campaign=item.campaign, response=copy, response_b_id=item.response_b_id,
                               quality_role=Item.QualityRole.ATTENTION, original=item)


# Mixing into batches -------------------------------------------------------------------------------------

def batches_with_checks(campaign, chunks, seed):
    """The item ids of each batch: ``chunks`` (lists of ordinary item ids, one per batch) with their unbatched
    attention copies and the campaign's share of gold items, these at seeded random places."""
    rng = random.Random(seed)
    copies = _unbatched_copies(campaign)
    gold = GoldRotation(campaign)
    batches = []
    for chunk in chunks:
        checks = [copy for item_id in chunk for copy in copies.get(item_id, [])]
        checks += gold.take(gold_count(campaign.gold_share, len(chunk)))
        batch = list(chunk)
        for check in checks:
            batch.insert(rng.randrange(len(batch) + 1), check)
        batches.append(batch)
    return batches


def gold_count(share, ordinary):
    """Gold items for a batch of ``ordinary`` items, so that they are ``share`` of the batch (at least one)."""
    if share <= 0 or ordinary == 0:
        return 0
    return max(1, round(share * ordinary / (1 - share))) if share < 1 else ordinary


def _unbatched_copies(campaign):
    copies = {}
    rows = Item.objects.filter(campaign=campaign, quality_role=Item.QualityRole.ATTENTION, batch__isnull=True)
    for pk, original in rows.values_list("id", "original_id").order_by("id"):
        copies.setdefault(original, []).append(pk)
    return copies


class GoldRotation:
    """Hands out the campaign's gold items in turn: an unbatched one as it is, else a fresh copy of it."""

    def __init__(self, campaign):
        self.campaign = campaign
        self.gold = list(Item.objects.filter(campaign=campaign, quality_role=Item.QualityRole.GOLD,
                                             original__isnull=True).select_related("response").order_by("id"))
        self.turn = 0
        self.placed = {item.pk for item in self.gold if item.batch_id is not None}

    def take(self, count):
        """``count`` distinct gold items (at most one of each) for one batch."""
        taken = []
        for _ in range(min(count, len(self.gold))):
            item = self.gold[self.turn % len(self.gold)]
            self.turn += 1
            taken.append(self._copy(item) if item.pk in self.placed else item.pk)
            self.placed.add(item.pk)
        return taken

    def _copy(self, item):
        response = item.response
        copy = Response.all_objects.create(prompt_id=response.prompt_id, model_id=response.model_id,
                                           copy_of=response, metadata=response.metadata, turns=response.turns)
        return Item.objects.create(campaign=self.campaign, response=copy, response_b_id=item.response_b_id,
                                   quality_role=Item.QualityRole.GOLD, original=item).pk


# Pauses --------------------------------------------------------------------------------------------------

def gold_pause_lift(*, campaign, annotator, lifted_by, misses):
    """Forgive the annotator's ``misses`` gold misses so far: they may rate again until the next threshold."""
    lift, _ = GoldPauseLift.objects.update_or_create(
        campaign=campaign, annotator=annotator, defaults={"misses_forgiven": misses, "lifted_by": lifted_by})
    return lift

"""Reads of the rating workflow that pages and the API share: what an annotator sees, and progress."""

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When

from annotation import kinds
from annotation.medians import median_sql
from annotation.models import (
    Annotator, Assignment, Batch, ChecklistItem, Draft, ItemSlot, LanguageModel, Rating, RatingCheck, Skip, SlotTally,
)
from annotation.rubric_axes import rubric_axes



def shown_order(item, annotator, rating=None):
    """The order this annotator sees the item in, as recorded on their rating (Rating.position): for a pair,
    which response is on the left (annotation.kinds.pairwise.pair_order); empty for a single response."""
    return kinds.for_campaign(item.campaign).shown_order(item, annotator, rating)


def axes_for_display(rubric, language):
    """The rubric's axes with labels, criteria and point descriptors in ``language`` (ja or en)."""
    pick = "en" if language == "en" else "ja"
    return [
        {
            "key": axis.key,
            "label": axis.label_en if pick == "en" else axis.label_ja,
            "criterion": axis.criterion_en if pick == "en" else axis.criterion_ja,
            "min": axis.min_score,
            "max": axis.max_score,
            "points": {score: text[pick] for score, text in axis.points.items()},
        }
        for axis in rubric_axes(rubric)
    ]


def item_for_rating(item, annotator, language="ja"):
    """Everything the rating page shows for one item: never other annotators' ratings or judge verdicts.

    What is rated comes from the campaign's kind (annotation.kinds): a likert item has ``response``; a pairwise
    item has ``left`` and ``right`` (in the order this annotator is shown, see kinds.pairwise.pair_order) and
    ``verdicts``, and its draft's and rating's verdict and ticks are in screen terms too.
    """
    campaign = item.campaign
    kind = kinds.for_campaign(campaign)
    prompt = item.response.prompt
    draft = Draft.objects.filter(item=item, annotator=annotator).first()
    rating = Rating.objects.filter(item=item, annotator=annotator).first()
    order = kind.shown_order(item, annotator, rating)
    return {
        "id": str(item.public_id),
        "campaign": campaign.slug,
        "kind": kind.NAME,
        "batch": item.batch.number if item.batch_id else None,
        "batch_closed": bool(item.batch_id and item.batch.closed_at),
        "position": item.position,
        "prompt": {"turns": prompt.turns, "context": prompt.context, "category": prompt.category},
        **kind.item_payload(item, order, language),
        "axes": axes_for_display(campaign.rubric, language),
        # A campaign that scores each turn: how many turns are scored (scores then turn → {axis → score}).
        "score_turns": campaign.scored_turns(item.response),
        "checklist": [{"id": check.id, "text": check.text}
                      for check in ChecklistItem.objects.filter(prompt=prompt).order_by("position")],
        "draft": _draft_data(draft, kind, order),
        "rating": _rating_data(rating, kind, order),
        "progress": annotator_progress(annotator, campaign),
    }


def _draft_data(draft, kind, order):
    if draft is None:
        return None
    return {"scores": draft.scores, "verdict": kind.verdict_in_screen_terms(draft.verdict, order),
            "checks": kind.checks_in_screen_terms(draft.checks, order), "comment": draft.comment, "flags": draft.flags,
            "seconds_spent": draft.seconds_spent, "updated_at": draft.updated_at.isoformat()}


def _rating_data(rating, kind, order):
    if rating is None:
        return None
    return {"scores": rating_scores(rating),
            "verdict": kind.verdict_in_screen_terms(rating.verdict, order),
            "checks": kind.checks_in_screen_terms(rating_checks(rating), order),
            "comment": rating.comment, "flags": rating.flags, "revision": rating.revision,
            "id": str(rating.public_id)}


def rating_scores(rating):
    """The rating's scores as the rating page and the API take them: axis → score, or, when they carry turns (a
    campaign that scores each turn), turn ("1", "2", ...) → {axis → score}."""
    found = {}
    for key, turn, score in rating.scores.order_by("turn", "axis__position", "axis_id").values_list(
            "axis__key", "turn", "score"):
        if turn is None:
            found[key] = score
        else:
            found.setdefault(str(turn), {})[key] = score
    return found


def rating_checks(rating):
    """The rating's checklist answers in the item's terms, for the items its annotator answered, in checklist
    order: {str(checklist item id): ticked}, or on a pair {str(id): {"A": ticked, "B": ticked}} (a side
    unanswered is left out). A pair's tick with no side (from before per-response ticks) keeps the first shape."""
    rows = (RatingCheck.objects.filter(rating=rating).order_by("checklist_item__position", "side")
            .values_list("checklist_item_id", "side", "checked"))
    checks = {}
    for item_id, side, checked in rows:
        if side:
            checks.setdefault(str(item_id), {})[side] = checked
        else:
            checks[str(item_id)] = checked
    return checks


def annotator_progress(annotator, campaign):
    """How many of the campaign's slots the annotator holds and has rated, from the tally the database keeps."""
    tally = SlotTally.objects.filter(annotator=annotator, campaign=campaign).values_list("rated", "slots").first()
    done, total = tally or (0, 0)
    return {"done": done, "total": total}


def my_work(annotator, campaigns):
    """Per campaign: items held, rated, and the batches assigned (for the "my work" page)."""
    rows = SlotTally.objects.filter(annotator=annotator, campaign__in=campaigns).values("campaign", "slots", "rated")
    by_campaign = {row["campaign"]: {"total": row["slots"], "done": row["rated"]} for row in rows}
    assignments = defaultdict(list)
    for assignment in Assignment.objects.filter(annotator=annotator, status=Assignment.Status.ACTIVE,
                                                batch__campaign__in=campaigns).select_related("batch"):
        assignments[assignment.batch.campaign_id].append(assignment.batch.number)
    return [
        {"campaign": campaign, "done": by_campaign.get(campaign.id, {}).get("done", 0),
         "total": by_campaign.get(campaign.id, {}).get("total", 0), "batches": sorted(assignments[campaign.id])}
        for campaign in campaigns
    ]


PROGRESS_DIMENSIONS = ("annotator", "batch", "model")
UNASSIGNED = "(unassigned)"
PROGRESS_WORK_MEM = "64MB"


def campaign_progress(campaign):
    """Progress per annotator, batch and model: done / total, median seconds per item, skips and flags.

    Counted and medians taken in the database, in one pass over the campaign's slots (and one over its skips):
    the slots are joined with their items, responses and ratings once, narrowed to ids, a time and a flag, and
    grouped by each dimension from there. Nothing per slot comes to Python; the names of the groups' annotators,
    batches and models are looked up for the few groups there are."""
    slots = ItemSlot.objects.filter(campaign=campaign).values(
        annotator_key=F("annotator_id"), batch_key=F("item__batch_id"), model_key=F("item__response__model_id"),
        rating_key=F("rating_id"), seconds=F("rating__seconds_spent"),
        flagged=Case(When(Q(rating__isnull=False) & ~Q(rating__flags=[]), then=Value(1)), default=None,
                     output_field=IntegerField()),
    )
    median = median_sql(connection, "seconds")
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The narrowed slot rows and each grouping's sort (17 MB for 200,000 slots) stay in memory up to
            # about half a million slots instead of spilling to disk at the default work_mem; and compiling the
            # query (JIT, which its cost invites from ~200,000 slots) takes longer than running it. Both
            # settings end with the transaction.
            cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                           [PROGRESS_WORK_MEM])
        groups = _grouped(cursor, slots, f"COUNT(*), COUNT(rating_key), COUNT(flagged), {median}")
        skipped = _grouped(cursor, Skip.objects.filter(item__campaign=campaign).values(
            annotator_key=F("annotator_id"), batch_key=F("item__batch_id"), model_key=F("item__response__model_id"),
        ), "COUNT(*)")
    names = _group_names(groups)
    progress = {"overlap": campaign.overlap, "slots": 0, "rated": 0}  # the totals are summed below
    for dimension in PROGRESS_DIMENSIONS:
        rows = []
        for key, (total, done, flags, median_seconds) in groups[dimension].items():
            name = names[dimension].get(key)
            rows.append({"key": UNASSIGNED if name is None and dimension == "annotator" else name, "done": done,
                         "total": total, "skips": skipped[dimension].get(key, (0,))[0], "flags": flags,
                         "median_seconds": median_seconds})
        progress[f"by_{dimension}"] = sorted(rows, key=lambda row: str(row["key"]))
    progress["slots"] = sum(row["total"] for row in progress["by_annotator"])
    progress["rated"] = sum(row["done"] for row in progress["by_annotator"])
    return progress


def _grouped(cursor, rows, aggregates):
    """``aggregates`` (SQL over the columns of ``rows``, a values() queryset with annotator_key, batch_key and
    model_key) per annotator, batch and model: {dimension: {key id: (aggregate, ...)}}, in one query that reads
    ``rows`` once (a materialized common table expression, grouped three ways)."""
    sql, params = rows.query.sql_with_params()
    grouped = " UNION ALL ".join(
        f"SELECT '{dimension}', {dimension}_key, {aggregates} FROM progress_rows GROUP BY {dimension}_key"
        for dimension in PROGRESS_DIMENSIONS
    )
    result = {dimension: {} for dimension in PROGRESS_DIMENSIONS}
    cursor.execute(f"WITH progress_rows AS MATERIALIZED ({sql}) {grouped}", params)
    for dimension, key, *figures in cursor.fetchall():
        result[dimension][key] = tuple(figures)
    return result


def _group_names(groups):
    """{dimension: {key id: what the page shows for it}}: an annotator's handle, a batch's number, a model's name."""
    lookups = {"annotator": (Annotator, "handle"), "batch": (Batch, "number"), "model": (LanguageModel, "name")}
    return {
        dimension: dict(model.objects.filter(pk__in=[key for key in groups[dimension] if key is not None])
                        .values_list("pk", field))
        for dimension, (model, field) in lookups.items()
    }

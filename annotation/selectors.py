"""Reads that views share. Each function runs a fixed number of queries, whatever the data size.

Counts come from one grouped query per table instead of one annotate() over all
joins: joining items, ratings and verdicts at once multiplies their rows
(items × ratings × verdicts per campaign) before counting.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Prefetch, Q
from django.db.models.functions import Coalesce

from annotation import kinds
from annotation.quality_items import counted
from annotation.models import (
    Annotator, Assignment, Batch, Campaign, CampaignMembership, Draft, Item, ItemSlot, Rating, RatingScore, Rubric,
    RubricAxis,
)
from annotation.accepting import refusal
from annotation.access import campaign_annotators
from annotation.rater_counts import rater_counts
from annotation.scored_verdicts import SCORED_STATUSES
from annotation.services import rubric_is_used
from annotation.workflow_selectors import PROGRESS_DIMENSIONS, campaign_progress

ANNOTATOR_GROUP = "annotator"

# Judge verdicts that carry scores (annotation.scored_verdicts); failed calls are not verdicts to count.
SCORED_VERDICTS = SCORED_STATUSES


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    prompts: int
    models: int
    items: int
    ratings: int
    annotators: int
    verdicts: int


@dataclass(frozen=True)
class ModelCounts:
    """What one evaluated model contributes to a campaign (as either side of a pairwise item)."""

    model_id: int
    name: str
    items: int
    ratings: int
    annotators: int
    verdicts: int


@dataclass(frozen=True)
class PointDescriptor:
    score: int
    ja: str
    en: str


def campaign_summaries(campaigns=None):
    """A CampaignSummary per campaign (all of them by default), in the queryset's order."""
    campaigns = list((campaigns if campaigns is not None else Campaign.objects.all()).select_related("rubric"))
    ids = [campaign.id for campaign in campaigns]
    items = {
        row["campaign_id"]: row
        for row in Item.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(items=Count("id"), prompts=Count("response__prompt_id", distinct=True))
    }
    models = Counter(campaign_id for campaign_id, _ in _campaign_model_pairs(ids))
    ratings = {
        row["item__campaign_id"]: row
        for row in Rating.objects.filter(item__campaign_id__in=ids)
        .values("item__campaign_id")
        .annotate(ratings=Count("id"), annotators=Count("annotator_id", distinct=True))
    }
    verdicts = dict(
        Item.objects.filter(campaign_id__in=ids, verdicts__parse_status__in=SCORED_VERDICTS)
        .values("campaign_id")
        .annotate(verdicts=Count("verdicts"))
        .values_list("campaign_id", "verdicts")
    )
    return [
        CampaignSummary(
            campaign=campaign,
            prompts=items.get(campaign.id, {}).get("prompts", 0),
            models=models[campaign.id],
            items=items.get(campaign.id, {}).get("items", 0),
            ratings=ratings.get(campaign.id, {}).get("ratings", 0),
            annotators=ratings.get(campaign.id, {}).get("annotators", 0),
            verdicts=verdicts.get(campaign.id, 0),
        )
        for campaign in campaigns
    ]


def campaign_summary(slug):
    """The CampaignSummary of one campaign, its rubric's axes prefetched; Campaign.DoesNotExist if none."""
    campaigns = Campaign.objects.filter(slug=slug).prefetch_related(_ordered_axes("rubric__axes"))
    summaries = campaign_summaries(campaigns)
    if not summaries:
        raise Campaign.DoesNotExist(f"no campaign {slug!r}")
    return summaries[0]


def campaign_model_counts(campaign):
    """A ModelCounts per model that answered in the campaign, by name.

    A pairwise item counts for both of its models, so the rows can add up to more than the campaign's total.
    """
    names, totals = {}, defaultdict(Counter)
    fields = kinds.for_campaign(campaign).RESPONSE_FIELDS
    for side in fields:
        for model_id, name, counts in _model_counts_on_side(campaign, side):
            names[model_id] = name
            totals[model_id].update(counts)
    annotators = Counter(model_id for model_id, _ in _model_annotator_pairs(campaign, fields))
    rows = [
        ModelCounts(
            model_id=pk, name=names[pk], items=totals[pk]["items"], ratings=totals[pk]["ratings"],
            annotators=annotators[pk], verdicts=totals[pk]["verdicts"],
        )
        for pk in names
    ]
    return sorted(rows, key=lambda row: row.name)


def rubric_list():
    """Every rubric with its number of axes and of campaigns that use it."""
    return Rubric.objects.annotate(
        axis_count=Count("axes", distinct=True), campaign_count=Count("campaigns", distinct=True)
    )


def rubric_is_locked(rubric):
    """A built-in rubric, or one with ratings or verdicts, is never changed in place (rubric_import refuses it)."""
    return rubric.is_builtin or rubric_is_used(rubric)


def rubric_with_axes(key):
    """One rubric with its axes in order; each axis carries ``point_descriptors``. Rubric.DoesNotExist if none."""
    rubric = Rubric.objects.prefetch_related(_ordered_axes("axes")).get(key=key)
    for axis in rubric.axes.all():
        axis.point_descriptors = axis_point_descriptors(axis)
    return rubric


def axis_point_descriptors(axis):
    """The axis's point descriptors as a list from the lowest score up, only for points that have one."""
    return sorted(
        (PointDescriptor(int(score), text.get("ja", ""), text.get("en", "")) for score, text in axis.points.items()),
        key=lambda point: point.score,
    )


def _ordered_axes(lookup):
    return Prefetch(lookup, queryset=RubricAxis.objects.order_by("position"))


def _campaign_model_pairs(campaign_ids):
    """Distinct (campaign id, model id) pairs over the item fields that hold a response (of any kind): one query."""
    fields = dict.fromkeys(field for kind in kinds.KINDS.values() for field in kind.RESPONSE_FIELDS)
    return _distinct_union([
        Item.objects.filter(campaign_id__in=campaign_ids, **{f"{field}__isnull": False}).values_list(
            "campaign_id", f"{field}__model_id")
        for field in fields
    ])


def _model_annotator_pairs(campaign, fields):
    """Distinct (model id, annotator id) pairs of the campaign's ratings, over the item ``fields``: one query."""
    ratings = Rating.objects.filter(item__campaign=campaign)
    return _distinct_union([
        ratings.filter(**{f"item__{field}__isnull": False}).values_list(f"item__{field}__model_id", "annotator_id")
        for field in fields
    ])


def _distinct_union(querysets):
    """The distinct rows of the querysets' union; none for no querysets (a kind whose items answer for no model:
    exam questions)."""
    if not querysets:
        return []
    first, *others = querysets
    return first.union(*others) if others else first.distinct()


def _model_counts_on_side(campaign, side):
    """(model id, name, Counter of items, ratings, verdicts) for the items whose ``side`` is that model's answer."""
    model = f"{side}__model_id"
    items = Item.objects.filter(campaign=campaign, **{f"{side}__isnull": False})
    rows = {
        pk: (pk, name, Counter(items=count))
        for pk, name, count in items.values(model, f"{side}__model__name").annotate(n=Count("id")).values_list(
            model, f"{side}__model__name", "n"
        )
    }
    ratings = items.filter(ratings__isnull=False).values(model).annotate(n=Count("ratings")).values_list(model, "n")
    verdicts = items.filter(verdicts__parse_status__in=SCORED_VERDICTS).values(model).annotate(n=Count("verdicts")).values_list(model, "n")
    for key, queryset in (("ratings", ratings), ("verdicts", verdicts)):
        for pk, count in queryset:
            rows[pk][2][key] = count
    return rows.values()


# The rating workflow's pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatorRow:
    """An annotator of a campaign: a member (``username`` set) or an external one known from imported ratings,
    with the places they hold and the ratings they gave in it."""

    annotator: Annotator
    username: str
    held: int
    done: int


@dataclass(frozen=True)
class CampaignPeople:
    leads: list  # usernames; the creator first
    annotators: list  # AnnotatorRow of the annotator members, by username
    external: list  # AnnotatorRow of the annotators from imports, by handle
    researchers: list  # usernames


@dataclass(frozen=True)
class BatchRow:
    batch: Batch
    items: int
    rated: int
    slots: int
    annotators: list


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    done: int
    total: int
    last_activity: datetime | None


@dataclass(frozen=True)
class MyRatingRow:
    rating: Rating
    scores: list  # [(axis key, score)] in the rubric's order
    is_final: bool


def user_is_annotator(user):
    """Annotators rate: members of the "annotator" group, or users who already have an Annotator profile."""
    if not user.is_authenticated:
        return False
    return user.groups.filter(name=ANNOTATOR_GROUP).exists() or Annotator.objects.filter(user=user).exists()


def campaign_people(campaign):
    """Who belongs to the campaign: leads, annotator members with their tier and work, the external annotators
    whose ratings were imported into it, and the researchers granted access. A fixed number of queries."""
    memberships = list(CampaignMembership.objects.filter(campaign=campaign).select_related("user__annotator")
                       .order_by("user__username"))
    by_role = defaultdict(list)
    for membership in memberships:
        by_role[membership.role].append(membership)
    creator = [campaign.created_by.username] if campaign.created_by_id else []
    leads = list(dict.fromkeys([*creator, *(m.user.username for m in by_role[CampaignMembership.Role.LEAD])]))
    work = _work_by_annotator(campaign)
    members = [
        AnnotatorRow(m.user.annotator, m.user.username, *work.get(m.user.annotator.id, (0, 0)))
        for m in by_role[CampaignMembership.Role.ANNOTATOR] if hasattr(m.user, "annotator")
    ]
    external = [
        AnnotatorRow(annotator, "", 0, done) for annotator, done in _external_raters(campaign)
    ]
    researchers = [m.user.username for m in by_role[CampaignMembership.Role.RESEARCHER]]
    return CampaignPeople(leads, members, external, researchers)


def _work_by_annotator(campaign):
    """Annotator id → (places held, rated) in the campaign."""
    rows = (ItemSlot.objects.filter(campaign=campaign, annotator__isnull=False).values("annotator_id")
            .annotate(held=Count("id"), done=Count("id", filter=Q(rating__isnull=False))))
    return {row["annotator_id"]: (row["held"], row["done"]) for row in rows}


def _external_raters(campaign):
    """(Annotator, ratings) of the external annotators with ratings in the campaign, by handle."""
    counts = dict(Rating.objects.filter(item__campaign=campaign, annotator__is_external=True)
                  .values("annotator_id").annotate(n=Count("id")).values_list("annotator_id", "n"))
    return [(annotator, counts[annotator.id]) for annotator in Annotator.objects.filter(id__in=counts).order_by("handle")]


def campaign_batches(campaign):
    """Every batch of the campaign by number, with its items, rated slots and the annotators it is assigned to."""
    batches = list(
        Batch.objects.filter(campaign=campaign).order_by("number").prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.filter(status=Assignment.Status.ACTIVE)
                     .select_related("annotator").order_by("annotator__handle"), to_attr="active_assignments")
        )
    )
    items = dict(Item.objects.filter(campaign=campaign, batch__isnull=False).values("batch_id")
                 .annotate(n=Count("id")).values_list("batch_id", "n"))
    slots = {
        row["item__batch_id"]: row
        for row in ItemSlot.objects.filter(campaign=campaign).values("item__batch_id")
        .annotate(total=Count("id"), rated=Count("id", filter=Q(rating__isnull=False)))
    }
    return [
        BatchRow(batch, items.get(batch.id, 0), slots.get(batch.id, {}).get("rated", 0),
                 slots.get(batch.id, {}).get("total", 0), [a.annotator for a in batch.active_assignments])
        for batch in batches
    ]


def campaign_assignments(campaign):
    """Every assignment of the campaign (active first) with its rated / held items and its annotator's last activity.

    Last activity is the latest rating, revision or draft save of that annotator on the batch's items, so a
    lead can tell a stalled assignment (nothing for days) from a slow one.
    """
    assignments = list(
        Assignment.objects.filter(batch__campaign=campaign).select_related("batch", "annotator")
        .annotate(total=Count("slots"), done=Count("slots", filter=Q(slots__rating__isnull=False)))
        .order_by("status", "batch__number", "annotator__handle")
    )
    rated = Rating.objects.filter(item__campaign=campaign, item__batch__isnull=False).values(
        "annotator_id", "item__batch_id").annotate(last=Max(Coalesce("revised_at", "submitted_at")))
    drafted = Draft.objects.filter(item__campaign=campaign, item__batch__isnull=False).values(
        "annotator_id", "item__batch_id").annotate(last=Max("updated_at"))
    last = {}
    for row in [*rated, *drafted]:
        key = (row["annotator_id"], row["item__batch_id"])
        last[key] = max(filter(None, (last.get(key), row["last"])))
    return [
        AssignmentRow(assignment, assignment.done, assignment.total,
                      last.get((assignment.annotator_id, assignment.batch_id)))
        for assignment in assignments
    ]


def progress_rows(campaign):
    """campaign_progress flattened for the CSV download: one row per annotator, batch and model."""
    progress = campaign_progress(campaign)
    return [
        {"dimension": dimension, **row}
        for dimension in PROGRESS_DIMENSIONS
        for row in progress[f"by_{dimension}"]
    ]


def my_ratings(annotator, campaign):
    """The annotator's own ratings in the campaign, in hand-out order; never anyone else's.

    Each row's scores follow the rubric's axes (None where an axis has no score), so they line up as columns.
    """
    axis_keys = list(campaign.rubric.axes.order_by("position").values_list("key", flat=True))
    ratings = list(
        Rating.objects.filter(annotator=annotator, item__campaign=campaign)
        .select_related("item__batch", "item__response__prompt", "item__exam_question")  # exam: the labels
        .prefetch_related(Prefetch("scores", queryset=RatingScore.objects.select_related("axis")))
        .order_by("item__position", "id")
    )
    rows = []
    for rating in ratings:
        by_axis = {}
        # Scored per turn: the turns' scores side by side ("4 · 5"), turn 1's first.
        for score in sorted(rating.scores.all(), key=lambda score: score.turn or 0):
            by_axis[score.axis.key] = (score.score if score.turn is None or score.axis.key not in by_axis
                                       else f"{by_axis[score.axis.key]} · {score.score}")
        is_final = refusal(campaign, rating.item.batch) is not None
        rows.append(MyRatingRow(rating, [(key, by_axis.get(key)) for key in axis_keys], is_final))
    return rows


def reassignment_candidates(campaign):
    """Batch id → the campaign's annotators who may take over an assignment of that batch, by handle.

    Whoever already had the batch (even one reassigned away) is left out: assignment_reassign refuses them.
    """
    annotators = list(campaign_annotators(campaign))
    had = defaultdict(set)
    for batch_id, annotator_id in Assignment.objects.filter(batch__campaign=campaign).values_list(
            "batch_id", "annotator_id"):
        had[batch_id].add(annotator_id)
    batch_ids = Batch.objects.filter(campaign=campaign).values_list("id", flat=True)
    return {batch_id: [a for a in annotators if a.id not in had[batch_id]] for batch_id in batch_ids}


def axes_with_scores(axes):
    """The rating page's axes (as item_for_rating gives them), each with its scores from min to max and their
    point descriptors: [{"value": 1, "descriptor": "..."}, ...] ("" where a point has none)."""
    return [
        {**axis, "scores": [{"value": value, "descriptor": axis["points"].get(str(value), "")}
                            for value in range(axis["min"], axis["max"] + 1)]}
        for axis in axes
    ]


def items_short_of_k(campaign, batches):
    """How many items of ``batches`` have fewer than k slots (items that had raters when they were cut)."""
    return (Item.objects.filter(batch__in=batches).annotate(places=Count("slots"))
            .filter(places__lt=campaign.overlap).count())


def campaign_rater_counts(campaign_ids):
    """RaterCounts of the campaigns' items (those that count: not gold or attention items): distinct annotators with a submitted rating (imported raters
    included) per item, items with none counted as 0. One grouped query."""
    per_item = (Item.objects.filter(counted(), campaign_id__in=campaign_ids)
                .annotate(raters=Count("ratings__annotator", distinct=True)).values_list("raters", flat=True))
    return rater_counts(per_item)

"""Reads that views share. Each function runs a fixed number of queries, whatever the data size.

Counts come from one grouped query per table instead of one annotate() over all
joins: joining items, ratings and verdicts at once multiplies their rows
(items × ratings × verdicts per campaign) before counting.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch

from annotation.models import Campaign, Item, Rating, Rubric, RubricAxis
from annotation.services import rubric_is_used

LEAD_GROUP = "lead"


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


def user_is_lead(user):
    """Leads define rubrics and run campaigns: members of the "lead" group, and superusers."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=LEAD_GROUP).exists()


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
        Item.objects.filter(campaign_id__in=ids, verdicts__isnull=False)
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
    for side in _sides(campaign):
        for model_id, name, counts in _model_counts_on_side(campaign, side):
            names[model_id] = name
            totals[model_id].update(counts)
    annotators = Counter(model_id for model_id, _ in _model_annotator_pairs(campaign))
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


def _sides(campaign):
    """The item fields that point at a model's response: both of them in a pairwise campaign."""
    return ("response", "response_b") if campaign.rubric.kind == Rubric.Kind.PAIRWISE else ("response",)


def _campaign_model_pairs(campaign_ids):
    """Distinct (campaign id, model id) pairs over both sides of the items: one UNION query."""
    side_a = Item.objects.filter(campaign_id__in=campaign_ids).values_list("campaign_id", "response__model_id")
    side_b = Item.objects.filter(campaign_id__in=campaign_ids, response_b__isnull=False).values_list(
        "campaign_id", "response_b__model_id"
    )
    return side_a.union(side_b)


def _model_annotator_pairs(campaign):
    """Distinct (model id, annotator id) pairs of the campaign's ratings, over both sides: one query."""
    ratings = Rating.objects.filter(item__campaign=campaign)
    side_a = ratings.values_list("item__response__model_id", "annotator_id")
    if "response_b" not in _sides(campaign):
        return side_a.distinct()
    side_b = ratings.filter(item__response_b__isnull=False).values_list("item__response_b__model_id", "annotator_id")
    return side_a.union(side_b)


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
    verdicts = items.filter(verdicts__isnull=False).values(model).annotate(n=Count("verdicts")).values_list(model, "n")
    for key, queryset in (("ratings", ratings), ("verdicts", verdicts)):
        for pk, count in queryset:
            rows[pk][2][key] = count
    return rows.values()

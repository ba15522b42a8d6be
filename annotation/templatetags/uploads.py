"""The upload widget of a campaign page and of the rubrics page: ``{% load uploads %}``, then
``{% upload_section campaign %}`` (what the campaign's kind takes: responses, ratings, verdicts, checklists; exam
questions and their figures), ``{% upload_section %}`` (a rubric)
or ``{% upload_section series=series %}`` (checkpoint scores of a model series).
It renders templates/annotation/includes/upload_section.html, which loads static/js/upload.js."""

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from annotation import kinds
from annotation.models import Annotator, Upload
from annotation.services.uploads import CAMPAIGN_KINDS
from annotation.upload_handlers import upload_limit

register = template.Library()


@register.inclusion_tag("annotation/includes/upload_section.html", takes_context=True)
def upload_section(context, campaign=None, series=None):
    limit = upload_limit()
    section = {"campaign": campaign, "csrf_token": context.get("csrf_token"), "max_bytes": limit,
               "limit": filesizeformat(limit), "status_url": reverse("api_upload", args=["00000000-0000-0000-0000-000000000000"])}
    if series is not None:
        return section | {"series": series, "post_url": reverse("api_series_uploads", args=[series.name]),
                          "accept": ".jsonl,.ndjson,.json,.csv,.gz",
                          "uploads": Upload.objects.filter(kind=Upload.Kind.CHECKPOINT_SCORES,
                                                           options__series=series.name)[:5]}
    if campaign is None:
        return section | {"post_url": reverse("api_rubric_uploads"), "accept": ".json,.gz"}
    offered = kinds.for_campaign(campaign).UPLOAD_KINDS
    return section | {
        "post_url": reverse("api_campaign_uploads", args=[campaign.slug]),
        "accept": ".jsonl,.ndjson,.json,.csv,.gz" + (",.zip" if Upload.Kind.EXAM_FIGURES in offered else ""),
        "kinds": [(kind.value, kind.label) for kind in CAMPAIGN_KINDS if kind in offered],
        "tiers": Annotator.Tier.choices,
        "asks_pair": not kinds.for_campaign(campaign).ITEM_PER_RESPONSE,
        "uploads": campaign.uploads.all()[:5],
    }

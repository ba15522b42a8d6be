"""Who may see and do what in the annotation domain, and the reads that depend on it.

Everything an annotator can reach goes through these functions, so that
"annotators see only their own work" has one home; so does who is a lead (of any
campaign, and of one), for every app's pages and APIs. Lookups that fail for lack of
rights raise Http404 where existence itself is private (campaigns to those outside them, items, assignments),
and PermissionDenied where the page is known to exist (a campaign's lead pages, to its other members).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _

from annotation.models import (
    Annotator, Assignment, Batch, Campaign, CampaignMembership, Item, ItemSlot, ModelSeries, Rating, Upload,
)

LEAD_GROUP = "lead"


def is_lead(user):
    """Leads create campaigns, define rubrics and judge configs: members of the "lead" group, whoever leads a
    campaign (a lead named on the command line needs no group), and superusers."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=LEAD_GROUP).exists() or led_campaigns(user).exists()


def lead_required(view):
    """A page for leads: anonymous visitors go to the sign-in page; signed-in users who are not leads get 403."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not is_lead(request.user):
            raise PermissionDenied(_("Only leads can do this."))
        return view(request, *args, **kwargs)

    return login_required(checked)


def is_lead_of(user, campaign):
    """Whether the user leads the campaign: its creator, a member with the lead role, or a superuser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or campaign.created_by_id == user.id:
        return True
    return CampaignMembership.objects.filter(
        campaign=campaign, user=user, role=CampaignMembership.Role.LEAD
    ).exists()


def led_campaigns(user):
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(
        Q(created_by=user) | Q(memberships__user=user, memberships__role=CampaignMembership.Role.LEAD)
    ).distinct()


def member_campaigns(user):
    """The campaigns the user belongs to, in any role (lead, annotator, researcher granted access): the only
    ones they see listed or may open. Superusers see all of them."""
    if not user.is_authenticated:
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(Q(created_by=user) | Q(memberships__user=user)).distinct()


def is_reader_of(user, campaign):
    """Whether the user may read the campaign's report and its unpublished releases: its leads, and the
    researchers a lead granted access to it."""
    if is_lead_of(user, campaign):
        return True
    return user.is_authenticated and CampaignMembership.objects.filter(
        campaign=campaign, user=user, role=CampaignMembership.Role.RESEARCHER
    ).exists()


def annotated_campaigns(user):
    return Campaign.objects.filter(
        memberships__user=user, memberships__role=CampaignMembership.Role.ANNOTATOR
    ).select_related("rubric")


def annotator_of(user):
    """The user's Annotator profile, or None for users who do not rate."""
    if not user.is_authenticated:
        return None
    try:
        return user.annotator  # loaded with the user by AnnotatorTokenAuthentication
    except Annotator.DoesNotExist:
        return None


def campaign_for_lead(user, slug):
    """The campaign if the user leads it; 404 for those who do not belong to it, 403 for its other members."""
    campaign = campaign_for_member(user, slug)
    if not is_lead_of(user, campaign):
        raise PermissionDenied(_("Only the leads of this campaign may do this."))
    return campaign


def campaign_for_member(user, slug):
    """The campaign if the user belongs to it (in any role); 404 otherwise: an unpublished study's existence,
    models and counts are its members' business."""
    campaign = member_campaigns(user).select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise Http404("no such campaign among yours")
    return campaign


def campaign_for_reader(user, slug):
    """The campaign if the user may read its report (a lead or a granted researcher); 404 for those who do not
    belong to it, 403 for its annotators."""
    campaign = campaign_for_member(user, slug)
    if not is_reader_of(user, campaign):
        raise PermissionDenied(_("Only the leads of this campaign and the researchers they granted access may "
                                 "read this."))
    return campaign


def is_adjudicator_of(user, campaign):
    """Whether the user may adjudicate the campaign's disagreements: its leads, and members given the
    adjudicator role."""
    if is_lead_of(user, campaign):
        return True
    return user.is_authenticated and CampaignMembership.objects.filter(
        campaign=campaign, user=user, role=CampaignMembership.Role.ADJUDICATOR
    ).exists()


def campaign_for_adjudicator(user, slug):
    """The campaign if the user may adjudicate it; 404 for those who do not belong to it, 403 for its other
    members (annotators never see each other's ratings)."""
    campaign = campaign_for_member(user, slug)
    if not is_adjudicator_of(user, campaign):
        raise PermissionDenied(_("Only the leads of this campaign and its adjudicators may do this."))
    return campaign


def item_for_adjudicator(user, slug, public_id):
    """(campaign, item) for an adjudicator of the campaign: one of its items; 404 for any other."""
    campaign = campaign_for_adjudicator(user, slug)
    item = (Item.objects.select_related("campaign__rubric", "batch", "response__prompt", "response__model")
            .filter(campaign=campaign, public_id=public_id).first())
    if item is None:
        raise Http404("no such item in this campaign")
    return campaign, item


def campaign_for_annotator(user, slug):
    """The campaign if the user annotates it; 404 otherwise (its existence is none of their business)."""
    campaign = annotated_campaigns(user).filter(slug=slug).first()
    annotator = annotator_of(user)
    if campaign is None or annotator is None:
        raise Http404("no such campaign among yours")
    return campaign, annotator


def item_for_annotator(user, public_id):
    """An item the user holds a slot on (to rate, or already rated); 404 for anything else."""
    annotator = annotator_of(user)
    item = (
        Item.objects.select_related("campaign__rubric", "batch", "response__prompt", "response__model")
        .filter(public_id=public_id).first()
    )
    if annotator is None or item is None or not _holds_slot_as_member(user, annotator, item):
        raise Http404("no such item among yours")
    return item, annotator


def _holds_slot_as_member(user, annotator, item):
    return ItemSlot.objects.filter(
        item=item, annotator=annotator, campaign__memberships__user=user,
        campaign__memberships__role=CampaignMembership.Role.ANNOTATOR,
    ).exists()


def assignment_for_lead(user, public_id):
    assignment = Assignment.objects.select_related("batch__campaign", "annotator").filter(public_id=public_id).first()
    if assignment is None or not is_lead_of(user, assignment.batch.campaign):
        raise Http404("no such assignment among your campaigns")
    return assignment


def batch_for_lead(user, public_id):
    batch = Batch.objects.select_related("campaign").filter(public_id=public_id).first()
    if batch is None or not is_lead_of(user, batch.campaign):
        raise Http404("no such batch among your campaigns")
    return batch


def annotator_for_lead(user, slug, handle):
    """(campaign, annotator) for a lead of the campaign: one of its annotator members, or an external annotator
    with ratings in it; 404 for any other annotator (who they are is another campaign's business)."""
    campaign = campaign_for_lead(user, slug)
    member = CampaignMembership.objects.filter(campaign=campaign, user=OuterRef("user"),
                                               role=CampaignMembership.Role.ANNOTATOR)
    rated = Rating.objects.filter(annotator=OuterRef("pk"), item__campaign=campaign)
    annotator = Annotator.objects.filter(handle=handle).filter(
        Exists(member) | (Q(is_external=True) & Exists(rated))
    ).first()
    if annotator is None:
        raise Http404("no such annotator in this campaign")
    return campaign, annotator


def campaign_annotators(campaign):
    """The Annotator profiles of the campaign's annotator members, by handle."""
    return Annotator.objects.filter(
        user__memberships__campaign=campaign, user__memberships__role=CampaignMembership.Role.ANNOTATOR
    ).order_by("handle")


def series_for_lead(user, name):
    """A model series, for leads (who import and read series); 404 when there is none, 403 for others."""
    if not is_lead(user):
        raise PermissionDenied(_("Only leads can do this."))
    series = ModelSeries.objects.filter(name=name).first()
    if series is None:
        raise Http404("no such model series")
    return series


def upload_for_user(user, public_id):
    """An upload its viewer may follow: one to a campaign they lead, or a rubric they uploaded; 404 otherwise."""
    upload = Upload.objects.select_related("campaign").filter(public_id=public_id).first()
    if upload is None or not user.is_authenticated:
        raise Http404("no such upload among yours")
    allowed = (is_lead_of(user, upload.campaign) if upload.campaign_id
               else user.is_superuser or upload.created_by_id == user.id)
    if not allowed:
        raise Http404("no such upload among yours")
    return upload

"""Who belongs to a campaign: its leads add and remove co-leads, annotators (with their tier) and the
researchers they grant access, by username; they set the tier of any annotator of the campaign, imported
ones included. No administrator is needed for any of it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from annotation.errors import FieldError, HyokaError
from annotation.models import Annotator, CampaignMembership, ItemSlot
from annotation.services.workflow import annotator_for_user

ANNOTATOR_GROUP = "annotator"
Role = CampaignMembership.Role


@transaction.atomic
def campaign_member_add(*, campaign, username, role=Role.ANNOTATOR, tier=""):
    """Make the user a member of the campaign in ``role``. An annotator joins the annotator group and gets an
    Annotator profile (so batches can go to them), with ``tier`` when given."""
    if role not in Role.values:
        raise FieldError("role", f"choose one of {', '.join(Role.values)}.")
    user = _user_named(username)
    membership, created = CampaignMembership.objects.get_or_create(campaign=campaign, user=user,
                                                                   defaults={"role": role})
    if not created:
        raise FieldError("username", f"{user.username} is already a member of {campaign.slug} ({membership.role}).")
    if role == Role.ANNOTATOR:
        user.groups.add(Group.objects.get(name=ANNOTATOR_GROUP))
        annotator = annotator_for_user(user)
        if tier:
            annotator_tier_set(annotator=annotator, tier=tier)
    return membership


def _user_named(username):
    username = (username or "").strip()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise FieldError("username", f"there is no user named {username!r}.")
    return user


@transaction.atomic
def campaign_member_remove(*, campaign, username):
    """Take a member off the campaign. An annotator's ratings stay and items leased to them go back to the pool;
    refused while they hold unrated items of an open batch by assignment (reassign those first, or the items
    would wait for someone who can no longer reach them). The campaign keeps at least one lead."""
    membership = (
        CampaignMembership.objects.select_for_update(of=("self",)).select_related("user__annotator")
        .filter(campaign=campaign, user__username=username).first()
    )
    if membership is None:
        raise HyokaError(f"{username} is not a member of {campaign.slug}.")
    if membership.role == Role.LEAD:
        _check_another_lead_remains(campaign, membership)
    if membership.role == Role.ANNOTATOR:
        _release_held_items(campaign, membership)
    membership.delete()


def _check_another_lead_remains(campaign, membership):
    others = CampaignMembership.objects.filter(campaign=campaign, role=Role.LEAD).exclude(pk=membership.pk)
    creator_remains = campaign.created_by_id is not None and campaign.created_by_id != membership.user_id
    if not (others.exists() or creator_remains):
        raise HyokaError(f"{membership.user.username} is the only lead of {campaign.slug}; add another lead first.")


def _release_held_items(campaign, membership):
    annotator = getattr(membership.user, "annotator", None)
    if annotator is None:
        return
    held = ItemSlot.objects.filter(campaign=campaign, annotator=annotator, rating__isnull=True)
    if held.filter(assignment__isnull=False, item__batch__closed_at__isnull=True).exists():
        raise HyokaError(f"{membership.user.username} still has unrated items in open batches; reassign their "
                         f"assignments first.")
    held.filter(assignment__isnull=True).update(annotator=None, lease_expires_at=None, claimed_at=None)


def annotator_tier_set(*, annotator, tier):
    """Set an annotator's tier (professional, undergraduate, graduate, vendor, external): who they are, the same
    in every campaign, and what releases show beside their pseudonym."""
    if tier not in Annotator.Tier.values:
        raise FieldError("tier", f"{tier!r} is not a tier; choose one of {', '.join(Annotator.Tier.values)}.")
    Annotator.objects.filter(pk=annotator.pk).update(tier=tier)
    annotator.tier = tier
    return annotator

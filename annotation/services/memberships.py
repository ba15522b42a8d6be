"""Who annotates a campaign: leads add and remove annotators by username."""

from django.contrib.auth import get_user_model
from django.db import transaction

from annotation.errors import FieldError, HyokaError
from annotation.models import CampaignMembership, ItemSlot
from annotation.services.workflow import annotator_for_user

ANNOTATOR_GROUP = "annotator"


@transaction.atomic
def campaign_member_add(*, campaign, username):
    """Make the user an annotator of the campaign (and give them an Annotator profile, so batches can go to them).

    Only members of the "annotator" group can be added: the group is the role, the membership is the campaign.
    """
    username = (username or "").strip()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise FieldError("username", f"there is no user named {username!r}.")
    if not user.groups.filter(name=ANNOTATOR_GROUP).exists():
        raise FieldError("username", f"{username} is not in the annotator group; ask an administrator to add them.")
    membership, created = CampaignMembership.objects.get_or_create(
        campaign=campaign, user=user, defaults={"role": CampaignMembership.Role.ANNOTATOR}
    )
    if not created:
        raise FieldError("username", f"{username} is already a member of {campaign.slug} ({membership.role}).")
    annotator_for_user(user)
    return membership


@transaction.atomic
def campaign_member_remove(*, campaign, username):
    """Take an annotator off the campaign. Their ratings stay; items leased to them go back to the pool.

    Refused while they hold unrated items of an open batch by assignment: reassign those first,
    or the items would wait for someone who can no longer reach them.
    """
    membership = (
        CampaignMembership.objects.select_for_update(of=("self",)).select_related("user__annotator")
        .filter(campaign=campaign, user__username=username, role=CampaignMembership.Role.ANNOTATOR).first()
    )
    if membership is None:
        raise HyokaError(f"{username} is not an annotator of {campaign.slug}.")
    annotator = getattr(membership.user, "annotator", None)
    held = ItemSlot.objects.filter(campaign=campaign, annotator=annotator, rating__isnull=True)
    if annotator and held.filter(assignment__isnull=False, item__batch__closed_at__isnull=True).exists():
        raise HyokaError(f"{username} still has unrated items in open batches; reassign their assignments first.")
    if annotator:
        held.filter(assignment__isnull=True).update(annotator=None, lease_expires_at=None, claimed_at=None)
    membership.delete()

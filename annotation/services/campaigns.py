import re

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from annotation import kinds
from annotation.errors import FieldError, HyokaError
from annotation.models import Campaign, CampaignMembership, Rubric

DEFAULT_RUBRIC = "quality-5x5"
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
# Paths under /campaigns/ that are pages, not campaigns.
RESERVED_SLUGS = ("new",)


def campaign_for_import(*, slug, rubric_key=None, create=True, leads=(), default_rubric=DEFAULT_RUBRIC):
    """The campaign an import writes into; created on the given (or ``default_rubric``) rubric when missing. ``leads``
    (usernames) are made its leads, whether it was created now or not.

    Call inside the import's transaction, so a failed import leaves no new campaign behind.
    """
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is not None:
        if rubric_key and campaign.rubric.key != rubric_key:
            raise HyokaError(
                f"campaign {slug} uses rubric {campaign.rubric.key}, not {rubric_key}; "
                f"leave out --rubric or pick another campaign."
            )
        campaign_leads_ensure(campaign=campaign, usernames=leads)
        return campaign
    if not create:
        raise HyokaError(f"no campaign {slug!r}; import responses into it first (import_responses --campaign {slug}).")
    return campaign_create(slug=slug, name=slug, rubric_key=rubric_key or default_rubric, leads=leads)


@transaction.atomic
def campaign_create(*, slug, name, rubric_key, overlap=2, show_model_names=False, description="",
                    instructions="", created_by=None, leads=(), per_turn_scores=False):
    """A new campaign in draft, led by ``created_by`` (if any) and the users named in ``leads``.

    Its kind is its rubric's. ``per_turn_scores``: annotators score every axis once per turn (a kind that takes
    scores per turn only, kinds' TURN_SCORES). Refused with the field at fault: a slug taken or malformed, an
    unknown rubric, an overlap below 2, an unknown lead, scores per turn for a kind without scores.
    """
    slug = (slug or "").strip()
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        raise FieldError("slug", f"{slug!r} must be lowercase letters, digits, '-' or '_' (at most 100), "
                                 f"and not {', '.join(RESERVED_SLUGS)}.")
    if Campaign.objects.filter(slug=slug).exists():
        raise slug_taken(slug)
    rubric = Rubric.objects.filter(key=rubric_key).first()
    if rubric is None:
        raise FieldError("rubric", f"no rubric {rubric_key!r}; import it first with import_rubric, or use "
                                   f"{DEFAULT_RUBRIC}.")
    if overlap is None or overlap < 2:
        raise FieldError("overlap", "every item needs at least 2 annotators (k ≥ 2).")
    if per_turn_scores and not kinds.for_rubric(rubric).TURN_SCORES:
        raise FieldError("per_turn_scores", f"rubric {rubric.key} is a {rubric.kind} rubric: only a likert "
                                            f"campaign scores each turn.")
    try:
        with transaction.atomic():  # a savepoint: another request may take the slug between the check and here
            campaign = Campaign.objects.create(
                slug=slug, name=(name or "").strip() or slug, rubric=rubric, overlap=overlap,
                show_model_names=show_model_names, description=description, instructions=instructions,
                created_by=created_by, per_turn_scores=bool(per_turn_scores),
            )
    except IntegrityError:
        raise slug_taken(slug) from None
    creator = [created_by.get_username()] if created_by is not None else []
    campaign_leads_ensure(campaign=campaign, usernames=[*creator, *leads])
    return campaign


def slug_taken(slug):
    return FieldError("slug", f"a campaign {slug} exists already; choose another slug.")


def campaign_leads_ensure(*, campaign, usernames):
    """Make each named user a lead of the campaign; already one, nothing changes. A member in another role is
    refused (take them off the campaign first: an annotator may hold items)."""
    for username in dict.fromkeys(name.strip() for name in usernames if name.strip()):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise FieldError("leads", f"there is no user named {username!r}.")
        membership, _ = CampaignMembership.objects.get_or_create(
            campaign=campaign, user=user, defaults={"role": CampaignMembership.Role.LEAD}
        )
        if membership.role != CampaignMembership.Role.LEAD:
            raise FieldError("leads", f"{username} is already a member of {campaign.slug} ({membership.role}); "
                                      f"take them off the campaign first.")

import re

from annotation.errors import HyokaError
from annotation.models import Campaign, Rubric

DEFAULT_RUBRIC = "quality-5x5"
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def campaign_for_import(*, slug, rubric_key=None, create=True):
    """The campaign an import writes into; created on the given (or default) rubric when missing.

    Call inside the import's transaction, so a failed import leaves no new campaign behind.
    """
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is not None:
        if rubric_key and campaign.rubric.key != rubric_key:
            raise HyokaError(
                f"campaign {slug} uses rubric {campaign.rubric.key}, not {rubric_key}; "
                f"leave out --rubric or pick another campaign."
            )
        return campaign
    if not create:
        raise HyokaError(f"no campaign {slug!r}; import responses into it first (import_responses --campaign {slug}).")
    if not SLUG_PATTERN.match(slug):
        raise HyokaError(f"campaign slug {slug!r} must be lowercase letters, digits, '-' or '_' (at most 100).")
    rubric = Rubric.objects.filter(key=rubric_key or DEFAULT_RUBRIC).first()
    if rubric is None:
        raise HyokaError(f"no rubric {rubric_key!r}; import it first with import_rubric, or use quality-5x5.")
    return Campaign.objects.create(slug=slug, name=slug, rubric=rubric)

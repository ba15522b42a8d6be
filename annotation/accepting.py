"""Whether an item takes drafts, ratings and skips now: one rule, for every path that writes them.

A campaign takes work only while it is open (status active): not while it is a draft being set up, and not
once it is closed; an item in a closed batch takes nothing either, its ratings being final. (Campaigns have no
paused state: closing a batch is how a lead stops part of one.) The services and the pages ask ``refusal``;
the hot path's statements (annotation.hot_paths) and the claim (workflow.claimable_conditions) carry the same
rule as ``accepting_sql``. tests/annotation/test_hot_paths.py holds the two together.
"""

from django.utils.translation import gettext_lazy as _

from annotation.models import Campaign

OPEN = Campaign.Status.ACTIVE

CAMPAIGN_REFUSALS = {
    Campaign.Status.DRAFT: _("This campaign is not open for rating yet: nothing can be saved until its lead "
                             "opens it."),
    Campaign.Status.CLOSED: _("This campaign is closed: its ratings are final and can no longer change."),
}
BATCH_CLOSED = _("This batch is closed: its ratings are final and can no longer change.")


def refusal(campaign, batch=None):
    """Why an item of ``campaign`` in ``batch`` (None: outside batches) takes no draft, rating or skip now, as a
    message for the annotator; None while it takes them."""
    if campaign.status != OPEN:
        return CAMPAIGN_REFUSALS[campaign.status]
    if batch is not None and batch.closed_at is not None:
        return BATCH_CLOSED
    return None


def accepting_sql(campaign, batch=None):
    """``refusal(campaign, batch) is None`` as an SQL condition on the campaign row aliased ``campaign`` and the
    item's batch row aliased ``batch`` (LEFT JOINed: NULL for an item outside batches; None: the campaign alone)."""
    condition = f"{campaign}.status = '{OPEN}'"
    return f"({condition} AND {batch}.closed_at IS NULL)" if batch else f"({condition})"


def item_accepting_sql(item, fence=""):
    """The rule as an SQL condition on the item whose id is the SQL expression ``item``. ``fence`` ends the
    subquery (workflow.claimable_conditions explains PostgreSQL's ``OFFSET 0``)."""
    return f"""EXISTS (SELECT 1 FROM annotation_item ai JOIN annotation_campaign ac ON ac.id = ai.campaign_id
                       LEFT JOIN annotation_batch ab ON ab.id = ai.batch_id
                       WHERE ai.id = {item} AND {accepting_sql("ac", "ab")} {fence})"""

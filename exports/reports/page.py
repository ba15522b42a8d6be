"""What the report pages of every kind share: what the page was asked for (the query string), how many
bootstrap replicates it uses, and the thresholds it flags annotators by. The page of each kind is built by its
kind's `report_page` (exports.reports.likert_page, exports.reports.pairwise_page) and shown with its kind's
`REPORT_TEMPLATE`.

The page's figures are computed once per request and data version, in the background for large campaigns,
and kept (exports.services.report_snapshots): 1,000 replicates on a campaign of a few thousand ratings take well
under a second, a campaign of a million ratings takes minutes. For large campaigns the page uses fewer replicates
by default and says so; ?replicates= asks for more, up to MAX_REPLICATES.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _, gettext_lazy

from annotation import agreement

DEFAULT_REPLICATES = agreement.DEFAULT_REPLICATES
MAX_REPLICATES = 2000
LARGE_CAMPAIGN_SCORES = 200_000
LARGE_CAMPAIGN_REPLICATES = 200
# An annotator is flagged when alpha rises this much without them, or their scores correlate this weakly
# with the others' mean.
UNRELIABLE_ALPHA_RISE = 0.05
UNRELIABLE_CORRELATION = 0.3
LEVEL_NAMES = {
    "ordinal": gettext_lazy("Ordinal"), "interval": gettext_lazy("Interval"),
    "nominal": gettext_lazy("Nominal"), "ratio": gettext_lazy("Ratio"),
}


@dataclass(frozen=True)
class ReportRequest:
    """What the page was asked for: `replicates` None means the default for the campaign's size."""

    judge: str | None = None
    level: str = agreement.DEFAULT_LEVEL
    replicates: int | None = None


def report_request(query):
    """A ReportRequest from the page's query string; values that make no sense fall back to the defaults."""
    level = query.get("level") if query.get("level") in agreement.LEVELS else agreement.DEFAULT_LEVEL
    try:
        replicates = max(0, int(query["replicates"]))
    except (KeyError, ValueError):
        replicates = None
    return ReportRequest(judge=query.get("judge") or None, level=level, replicates=replicates)


def chosen_replicates(requested, n_scores):
    """The replicates to use, and notices about the choice."""
    if requested is None:
        if n_scores > LARGE_CAMPAIGN_SCORES:
            return LARGE_CAMPAIGN_REPLICATES, [_(
                "This campaign is large: the intervals rest on %(replicates)s bootstrap replicates. "
                "Ask for more with ?replicates= (at most %(cap)s), or run the agreement command."
            ) % {"replicates": LARGE_CAMPAIGN_REPLICATES, "cap": MAX_REPLICATES}]
        return DEFAULT_REPLICATES, []
    if requested > MAX_REPLICATES:
        return MAX_REPLICATES, [_(
            "This page uses at most %(cap)s bootstrap replicates; run the agreement or meta_eval command for more."
        ) % {"cap": MAX_REPLICATES}]
    return requested, []

"""What the report pages of every kind share: what the page was asked for (the query string), how many
bootstrap replicates it uses, the thresholds it flags annotators by, and the rendering of its figures
(`figures_html`). The page of each kind is built by its kind's `report_page` (exports.reports.likert_page,
exports.reports.pairwise_page, exports.reports.exam_page) and shown with its kind's `REPORT_TEMPLATE`: on the
campaign's report page (exports.services.report_snapshots) and in a release's report.html
(exports.release_report), the same figures.

The page's figures are computed once per request and data version, in the background for large campaigns,
and kept (exports.services.report_snapshots): 1,000 replicates on a campaign of a few thousand ratings take well
under a second, a campaign of a million ratings takes minutes. For large campaigns the page uses fewer replicates
by default and says so; ?replicates= asks for more, up to MAX_REPLICATES.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
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
# The kinds' templates extend this (it keeps their figures, without the site's layout) when rendered by figures_html.
FIGURES_TEMPLATE = "exports/report_figures.html"
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


def figures_html(campaign, report_request, *, progress=None, annotator_names=None, release=None, report=None):
    """The report's figures of one campaign as HTML: its kind's `report_page` rendered with its `REPORT_TEMPLATE`,
    without the site's layout. `progress(percent)` is told how far it got. With `release`, the page is the
    release's (exports.release_report): no controls, no links to the campaign's pages and API, and annotators
    shown by `annotator_names` ({handle: name shown}; the report pages name them by handle). `report`: the
    kind's report already made (a release's, from its own figures), else `report_page` makes it."""
    from exports import kinds  # which import this module
    from exports.reports.checklists import page_checklist

    progress = progress or (lambda percent: None)
    kind = kinds.for_campaign(campaign)
    if report is None:
        report = kind.report_page(campaign, report_request, annotator_names=annotator_names)
    progress(70)
    checklist = page_checklist(campaign)
    progress(90)
    return render_to_string(kind.REPORT_TEMPLATE, {
        "report_base": FIGURES_TEMPLATE, "campaign": campaign, "report": report, "checklist": checklist,
        "release": release, "levels": list(LEVEL_NAMES.items()), "max_replicates": MAX_REPLICATES,
        "unreliable_alpha_rise": UNRELIABLE_ALPHA_RISE, "unreliable_correlation": UNRELIABLE_CORRELATION,
    })


def annotator_label(handle, annotator_names):
    """How the page names the annotator `handle`: by handle, or by `annotator_names` when given (a release's
    pseudonyms), where a missing handle is an error rather than shown."""
    return str(handle) if annotator_names is None else annotator_names[str(handle)]

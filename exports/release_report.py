"""A release's report: the report page of each of its campaigns, rendered when the release is built into
report.html, a page that stands alone (its styles inline; no scripts, no links), listed in SHA256SUMS and the zip
like the release's other files, and served from the dataset's page (exports.views.dataset_report).

The page is the campaign's report page, drawn by the same code (exports.reports.page.figures_html) on the data
the release holds. A likert release's report is drawn from the release's own figures (agreement.json,
meta_eval.json, leaderboard.json and the arrays they were computed from: exports.statistics.likert_report_figures),
so its numbers are those of the files beside it and are computed once; the other kinds' reports are computed from
the database as their pages are (report_from_database). The report is rendered last, and the build fails when the
campaigns' data version (exports.services.report_snapshots.campaign_data_version: their ratings, verdicts, ticks
and answers) moved between the first table and the report, since the report could then describe other data than
the tables. Annotators appear by the release's pseudonyms, as in its tables,
never by handle or user name (not even when the lead chose to put user names in the tables).

Releases of model series have no report (exports.series_release).
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from annotation.errors import HyokaError
from annotation.models import Annotator
from exports import statistics
from exports.reports import page
from exports.selectors import REPORT_FILE
from exports.services.report_snapshots import campaign_data_version
from exports.tables import write_json

# In English, as the dataset card and every other file of a release.
LANGUAGE = "en"
STYLES = ("css/hyoka.css", "css/report.css")
TEMPLATE = "exports/release_report.html"


def data_versions(campaigns):
    """{campaign pk: data version}: taken before the build reads its first table."""
    return {campaign.pk: campaign_data_version(campaign) for campaign in campaigns}


def check_data_unchanged(release, campaigns, versions):
    """A HyokaError when a campaign's data changed since `versions` were taken."""
    changed = [campaign.slug for campaign in campaigns if campaign_data_version(campaign) != versions[campaign.pk]]
    if changed:
        raise HyokaError(
            f"the ratings, verdicts or answers of {', '.join(changed)} changed while release {release} was built, so "
            "its report and its tables could describe different data: build it again once the changes have stopped")


def write_release_report(ctx, versions, figures, judgments, judged, raters):
    """Write report.html of the release of `ctx` (an exports.builders.BuildContext) and return its WrittenFile.
    `versions` are the campaigns' data versions taken before the tables were read; `figures` ({file name:
    figures}), `judgments` and `judged` what the build computed and read for the release's files; `raters`
    {campaign slug: RaterCounts}. Each campaign's report comes from its kind's `release_report_page`."""
    check_data_unchanged(ctx.release, ctx.campaigns, versions)
    request = release_request()
    try:
        with translation.override(LANGUAGE):
            pages = [mark_safe(page.figures_html(
                campaign, request, release=ctx.release,
                report=ctx.kind.release_report_page(ctx, index, figures, judgments, judged, raters[campaign.slug])))
                for index, campaign in enumerate(ctx.campaigns)]
            html = render_to_string(TEMPLATE, {"release": ctx.release, "figures": pages, "styles": styles(),
                                               "built_at": timezone.now()})
    except KeyError:  # an annotator the tables do not have: their ratings came in meanwhile
        check_data_unchanged(ctx.release, ctx.campaigns, versions)
        raise
    check_data_unchanged(ctx.release, ctx.campaigns, versions)
    return write_json(ctx.folder, REPORT_FILE, html, fmt="html")


def release_request():
    """What a release's report is asked for: the intervals rest on as many replicates as the release's other
    figures (exports.statistics); the default level and judge."""
    return page.ReportRequest(replicates=statistics.REPLICATES)


def report_from_database(ctx, index):
    """The report of the release's campaign `index` computed from the database, as its campaign's page computes
    it, with annotators named by their pseudonyms: for the kinds whose release files keep other figures than
    the page shows (pairwise, exam)."""
    campaign = ctx.campaigns[index]
    return ctx.kind.report_page(campaign, release_request(), annotator_names=annotator_names(ctx))


def annotator_names(ctx):
    """{handle: release pseudonym} of the release's annotators (the report pages name annotators by handle)."""
    handles = Annotator.objects.filter(pk__in=list(ctx.names)).values_list("handle", "pk")
    return {handle: ctx.names[pk] for handle, pk in handles}


def styles():
    """The site's styles and the report's, to inline in the page: it is read without the site."""
    texts = []
    for name in STYLES:
        found = finders.find(name)
        if found is None:
            raise HyokaError(f"the static file {name} is missing: the release's report needs it")
        with open(found, encoding="utf-8") as handle:
            texts.append(handle.read())
    return mark_safe("\n".join(texts))  # the project's own CSS files

"""A release's report: the report page of each of its campaigns, rendered when the release is built into
report.html, a page that stands alone (its styles inline; no scripts, no links), listed in SHA256SUMS and the zip
like the release's other files, and served from the dataset's page (exports.views.dataset_report).

The figures are those of the campaign's report page, from the same code (exports.reports.page.figures_html),
computed on the data the release holds: the report is rendered in the build, before the tables (its figures
take the most memory, and the process holds least then), and the build fails when the campaigns' data version
(exports.services.report_snapshots.campaign_data_version: their ratings, verdicts, ticks and answers) moved
between the start of the report and the last table, since the report could then describe other data than the
tables. Annotators appear by the release's pseudonyms, as in its tables,
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


def write_release_report(ctx, versions):
    """Write report.html of the release of `ctx` (an exports.builders.BuildContext) and return its WrittenFile.
    `versions` are the campaigns' data versions taken before the report and the tables were read."""
    check_data_unchanged(ctx.release, ctx.campaigns, versions)  # before minutes of figures, not only after
    names = annotator_names(ctx)
    # The intervals rest on as many replicates as the release's other figures (exports.statistics).
    request = page.ReportRequest(replicates=statistics.REPLICATES)
    try:
        with translation.override(LANGUAGE):
            figures = [mark_safe(page.figures_html(campaign, request, annotator_names=names, release=ctx.release))
                       for campaign in ctx.campaigns]
            html = render_to_string(TEMPLATE, {"release": ctx.release, "figures": figures, "styles": styles(),
                                               "built_at": timezone.now()})
    except KeyError:  # an annotator the tables do not have: their ratings came in meanwhile
        check_data_unchanged(ctx.release, ctx.campaigns, versions)
        raise
    check_data_unchanged(ctx.release, ctx.campaigns, versions)
    return write_json(ctx.folder, REPORT_FILE, html, fmt="html")


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

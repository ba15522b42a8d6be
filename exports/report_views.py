"""The campaign report page, for the leads of the campaign."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from annotation import access
from exports import reports


@login_required
def campaign_report_page(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    report = reports.campaign_report(campaign, reports.report_request(request.GET))
    template = "exports/report_pairwise.html" if report.pairwise else "exports/report.html"
    return render(request, template, {
        "campaign": campaign, "report": report, "levels": list(reports.LEVEL_NAMES.items()),
        "max_replicates": reports.MAX_REPLICATES, "unreliable_alpha_rise": reports.UNRELIABLE_ALPHA_RISE,
        "unreliable_correlation": reports.UNRELIABLE_CORRELATION,
    })

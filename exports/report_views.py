"""The campaign report page, for the leads of the campaign: built and shown as its kind says (exports.kinds)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from annotation import access


@login_required
def campaign_report_page(request, slug):
    from exports import kinds  # the kinds import the reports, which load pandas, numpy and scipy: not at start-up
    from exports.reports import page
    from exports.reports.checklists import page_checklist

    campaign = access.campaign_for_reader(request.user, slug)
    kind = kinds.for_campaign(campaign)
    report = kind.report_page(campaign, page.report_request(request.GET))
    return render(request, kind.REPORT_TEMPLATE, {
        "campaign": campaign, "report": report, "checklist": page_checklist(campaign),
        "levels": list(page.LEVEL_NAMES.items()), "max_replicates": page.MAX_REPLICATES,
        "unreliable_alpha_rise": page.UNRELIABLE_ALPHA_RISE, "unreliable_correlation": page.UNRELIABLE_CORRELATION,
    })

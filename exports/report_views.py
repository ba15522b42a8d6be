"""The campaign report page, for its readers (leads, granted researchers): the newest figures computed for this
request (exports.services.report_snapshots), and while newer ones are computed, their progress."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation

from annotation import access
from annotation.models import ModelSeries

# The reports (exports.reports, exports.services.report_snapshots) are imported by the views that use them: they
# load pandas, numpy and scipy, which a web process serving other pages does not need.


@login_required
def campaign_report_page(request, slug):
    from exports.reports import page
    from exports.services.report_snapshots import report_snapshot_for_view

    campaign = access.campaign_for_reader(request.user, slug)
    current, shown = report_snapshot_for_view(
        campaign=campaign, report_request=page.report_request(request.GET), language=translation.get_language())
    return render(request, "exports/report_snapshot.html", {"campaign": campaign, "current": current, "shown": shown})


@login_required
def campaign_report_status(request, slug):
    """{"status", "progress", "ready"}: ready when the page would now show the newest figures (or their failure)."""
    from exports.reports import page
    from exports.services.report_snapshots import report_snapshot_state

    campaign = access.campaign_for_reader(request.user, slug)
    return JsonResponse(report_snapshot_state(
        campaign=campaign, report_request=page.report_request(request.GET), language=translation.get_language()))


@access.lead_required
def series_trajectory_page(request, name):
    """A model series' page: its trajectories (exports.reports.trajectory_page) as its query asks (the window,
    the axis, the series compared, the type rule's thresholds: 400, with the errors shown, for a bad value), its
    checkpoints, the upload of its scores and the form that adds a checkpoint."""
    from annotation.forms import CheckpointForm
    from exports.forms import TrajectoryOptionsForm
    from exports.reports.trajectory_page import page_request, trajectory_page

    series = access.series_for_lead(request.user, name)
    others = list(ModelSeries.objects.exclude(pk=series.pk).order_by("name").values_list("name", flat=True))
    form = TrajectoryOptionsForm(request.GET, other_series=others)
    context = trajectory_page(series.name, page_request(form))
    return render(request, "exports/series_trajectory.html",
                  {**context, "series": series, "other_series": others, "options_form": form,
                   "checkpoint_form": CheckpointForm()}, status=400 if form.errors else 200)

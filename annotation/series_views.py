"""Model series pages for leads: the list, the new-series form, and adding a checkpoint by hand. A series' own
page is its trajectory report (exports.report_views.series_trajectory_page)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from annotation import access
from annotation.forms import CheckpointForm, SeriesForm
from annotation.models import ModelSeries
from annotation.services.series import series_checkpoint_add, series_create
from annotation.views import FAILED, _run_service


@access.lead_required
def series_list(request):
    series = ModelSeries.objects.annotate(n_checkpoints=Count("checkpoints", distinct=True),
                                          n_tasks=Count("tasks", distinct=True))
    return render(request, "annotation/series_list.html", {"series_list": series})


@access.lead_required
def series_new(request):
    form = SeriesForm(request.POST or None)
    if request.method == "POST":
        series = _run_service(form, lambda data: series_create(**data, created_by=request.user), "name")
        if series is not FAILED:
            messages.success(request, _("Series %(name)s was created. Upload its scores per checkpoint.")
                             % {"name": series.name})
            return redirect(series.get_absolute_url())
    return render(request, "annotation/series_form.html", {"form": form})


@require_POST
@access.lead_required
def checkpoint_add(request, name):
    series = access.series_for_lead(request.user, name)
    form = CheckpointForm(request.POST)
    model = _run_service(form, lambda data: series_checkpoint_add(series=series, **data), "step")
    if model is FAILED:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("Checkpoint %(name)s was added.") % {"name": model.name})
    return redirect(series.get_absolute_url())

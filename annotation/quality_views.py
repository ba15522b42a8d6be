"""The QC page of a campaign (its lead's): per-annotator reliability, the quality-control settings, gold answers
set in the browser, and lifting an annotator's pause."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from annotation import access
from annotation.errors import HyokaError
from annotation.forms import add_service_error
from annotation.models import GoldAnswer
from annotation.quality_forms import GoldAnswerForm, QualitySettingsForm
from annotation.quality_gates import gold_standing
from annotation.services import quality


@login_required
def campaign_qc_page(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    return _page(request, campaign)


def _page(request, campaign, **forms):
    from annotation.quality_selectors import campaign_qc_report  # numpy, pandas, scipy: not at start-up

    context = {
        "campaign": campaign, "report": campaign_qc_report(campaign),
        "gold_answers": GoldAnswer.objects.filter(item__campaign=campaign).select_related(
            "item__response__prompt", "item__response__model", "item__response_b__model").order_by("id")[:200],
        "settings_form": forms.get("settings_form") or QualitySettingsForm(instance=campaign),
        "gold_form": forms.get("gold_form") or GoldAnswerForm(campaign=campaign),
    }
    return render(request, "annotation/qc.html", context)


@login_required
@require_POST
def campaign_qc_settings(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = QualitySettingsForm(request.POST, instance=campaign)
    if not form.is_valid():
        return _page(request, campaign, settings_form=form)
    try:
        quality.campaign_quality_settings_set(campaign=campaign, **form.cleaned_data)
    except HyokaError as error:
        add_service_error(form, error)
        return _page(request, campaign, settings_form=form)
    messages.success(request, _("Quality-control settings saved."))
    return redirect("campaign_qc", campaign.slug)


@login_required
@require_POST
def gold_answer_add(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = GoldAnswerForm(request.POST, campaign=campaign)
    if not form.is_valid():
        return _page(request, campaign, gold_form=form)
    try:
        quality.gold_answer_from_record(campaign=campaign, record=form.record())
    except HyokaError as error:
        add_service_error(form, error)
        return _page(request, campaign, gold_form=form)
    messages.success(request, _("The item is now a gold item."))
    return redirect("campaign_qc", campaign.slug)


@login_required
@require_POST
def gold_pause_lift(request, slug, handle):
    campaign, annotator = access.annotator_for_lead(request.user, slug, handle)
    standing = gold_standing(campaign, annotator)
    quality.gold_pause_lift(campaign=campaign, annotator=annotator, lifted_by=request.user, misses=standing.misses)
    messages.success(request, _("%(handle)s may rate again.") % {"handle": annotator.handle})
    return redirect("campaign_qc", campaign.slug)

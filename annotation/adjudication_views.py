"""The adjudication pages: the queue of items whose ratings disagree beyond the campaign's threshold (with, for
its leads, the threshold and extra-annotator settings), and the page where an adjudicator records an item's
final label. Leads and members with the adjudicator role only."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from annotation import access, kinds
from annotation.adjudication_selectors import adjudication_queue, item_final_label, ratings_for_adjudication
from annotation.errors import HyokaError
from annotation.forms import WorkflowForm
from annotation.models import PairOrder
from annotation.rubric_axes import rubric_axes
from annotation.services.adjudication import EXTRA_RATERS_LIMIT, adjudication_record, campaign_adjudication_set
from annotation.workflow_selectors import axes_for_display


class AdjudicationSettingsForm(WorkflowForm):
    threshold = forms.IntegerField(
        label=_("Disagreement threshold"), min_value=0, required=False,
        help_text=_("Likert: the largest score range on an axis an item may have (1 lets 3 and 4 pass, not 3 and 5). "
                    "Pairwise: the votes against the most common verdict it may have (0: any split). "
                    "Empty: no adjudication."))
    extra_raters_max = forms.IntegerField(
        label=_("Extra annotators per item, at most"), min_value=0, max_value=EXTRA_RATERS_LIMIT, initial=0,
        help_text=_("An item beyond the threshold gets one more annotator, then another while it stays beyond, up "
                    "to this many (handed out in pull mode)."))


@login_required
def adjudication_queue_page(request, slug):
    campaign = access.campaign_for_adjudicator(request.user, slug)
    form = AdjudicationSettingsForm(initial={"threshold": campaign.disagreement_threshold,
                                             "extra_raters_max": campaign.extra_raters_max})
    return render(request, "annotation/adjudication_queue.html", {
        "campaign": campaign, "queue": adjudication_queue(campaign), "settings_form": form,
        "can_manage": access.is_lead_of(request.user, campaign)})


@login_required
@require_POST
def adjudication_settings(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = AdjudicationSettingsForm(request.POST)
    try:
        if not form.is_valid():
            raise HyokaError(" ".join(str(error) for errors in form.errors.values() for error in errors))
        campaign_adjudication_set(campaign=campaign, threshold=form.cleaned_data["threshold"],
                                  extra_raters_max=form.cleaned_data["extra_raters_max"] or 0)
    except HyokaError as error:
        messages.error(request, _("The adjudication settings were not changed: %(reason)s") % {"reason": error})
    else:
        messages.success(request, _("The adjudication settings were saved."))
    return redirect("adjudication_queue", slug=slug)


@login_required
def item_adjudicate(request, slug, public_id):
    """An item with every rating (pseudonym, answer, comment) and the form for its final label. A recorded label
    goes back to the queue, to the next item in it."""
    campaign, item = access.item_for_adjudicator(request.user, slug, public_id)
    error = None
    if request.method == "POST":
        axes = rubric_axes(campaign.rubric)
        try:
            adjudication_record(item=item, adjudicator=request.user, verdict=request.POST.get("verdict", ""),
                                scores={axis.key: request.POST.get(f"score-{axis.key}") or None for axis in axes},
                                note=request.POST.get("note", ""))
        except HyokaError as failure:
            error = str(failure)
        else:
            messages.success(request, _("The final label of item %(position)s was recorded.")
                             % {"position": item.position})
            return redirect(*_next_in_queue(campaign))
    return render(request, kinds.for_campaign(campaign).ADJUDICATE_TEMPLATE, _page_context(campaign, item, error))


def _next_in_queue(campaign):
    queue = adjudication_queue(campaign)
    if queue:
        return "item_adjudicate", campaign.slug, queue[0].item.public_id
    return "adjudication_queue", campaign.slug


def _page_context(campaign, item, error):
    kind, language = kinds.for_campaign(campaign), get_language() or "ja"
    prompt = item.response.prompt
    payload = {"prompt": {"turns": prompt.turns, "context": prompt.context, "category": prompt.category},
               **kind.item_payload(item, PairOrder.AB, language)}  # A on the left: the adjudicator sees the item
    final = item_final_label(item)
    axes = [{**axis, "range": range(axis["min"], axis["max"] + 1), "chosen": final.chosen.get(axis["key"])}
            for axis in axes_for_display(campaign.rubric, language)]
    return {"campaign": campaign, "item": payload, "item_row": item, "turns": kind.page_turns(payload),
            "axes": axes, "ratings": ratings_for_adjudication(item), "final": final, "error": error}

import csv
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from annotation import access, kinds
from annotation.accepting import refusal
from annotation.errors import HyokaError
from annotation.forms import (
    AssignForm, CampaignForm, CutBatchesForm, ExamLicenseForm, MemberAddForm, OpenForm, ReassignForm,
    RubricDefinitionForms, TierForm, add_service_error,
)
from annotation.models import Assignment, Campaign, Rubric, Skip
from annotation.quality_gates import gold_notice, gold_standing
from annotation.rubric_definitions import parse_rubric_definition
from annotation.selectors import (
    axes_with_scores,
    campaign_assignments,
    campaign_batches,
    campaign_people,
    campaign_model_counts,
    campaign_summaries,
    campaign_summary,
    items_short_of_k,
    my_ratings as my_ratings_query,
    progress_rows,
    reassignment_candidates,
    rubric_is_locked,
    rubric_list as rubric_list_query,
    rubric_with_axes,
    user_is_annotator,
)
from annotation.services import rubric_import, workflow
from annotation.services.campaigns import campaign_create as campaign_create_service
from annotation.services.exam_imports import exam_license_record
from annotation.services.tokens import token_make, token_revoke
from annotation.services.memberships import annotator_tier_set, campaign_member_add, campaign_member_remove
from annotation.workflow_selectors import campaign_progress, item_for_rating, my_work as my_work_query

RUBRIC_SAVED_MESSAGES = {
    "created": _("Rubric %(key)s was created."),
    "updated": _("Rubric %(key)s was updated."),
    "unchanged": _("Rubric %(key)s is unchanged: the definition is the same as the stored one."),
}


@login_required
def home(request):
    """The campaigns the user belongs to; anonymous visitors are sent to sign in (the public datasets are
    linked from there)."""
    context = {"summaries": campaign_summaries(access.member_campaigns(request.user)),
               "can_create": access.is_lead(request.user)}
    return render(request, "annotation/home.html", context)


@login_required
def campaign_detail(request, slug):
    """A campaign's page, for its members. Its annotators see the rubric and their way in, not the models or
    the counts (model names are theirs only when the campaign shows them)."""
    summary = campaign_summary(access.campaign_for_member(request.user, slug).slug)
    campaign = summary.campaign
    can_read = access.is_reader_of(request.user, campaign)
    context = {
        "summary": summary, "campaign": campaign, "kind": kinds.for_campaign(campaign),
        "model_counts": campaign_model_counts(campaign) if can_read else [],
        "can_read": can_read,
        "can_manage": access.is_lead_of(request.user, campaign),
        "can_adjudicate": access.is_adjudicator_of(request.user, campaign),
        "can_rate": access.annotated_campaigns(request.user).filter(pk=campaign.pk).exists(),
    }
    return render(request, "annotation/campaign_detail.html", context)


@access.lead_required
def campaign_create(request):
    """The new-campaign form: the same service as the API; the campaign starts as a draft led by its creator."""
    form = CampaignForm(request.POST or None)
    if request.method == "POST":
        campaign = _run_service(form, lambda data: campaign_create_service(
            **form.service_arguments(), created_by=request.user))
        if campaign is not FAILED:
            messages.success(request, _("Campaign %(name)s was created. Import its responses, then add its "
                                        "annotators.") % {"name": campaign.name})
            return redirect("campaign_manage", slug=campaign.slug)
    kind_notes = [(label, kinds.for_name(value).CREATE_NOTE) for value, label in Rubric.Kind.choices]
    return render(request, "annotation/campaign_form.html", {"form": form, "kind_notes": kind_notes})


@login_required
def rubric_list(request):
    context = {"rubrics": rubric_list_query(), "can_define": access.is_lead(request.user)}
    return render(request, "annotation/rubric_list.html", context)


@login_required
def rubric_detail(request, key):
    try:
        rubric = rubric_with_axes(key)
    except Rubric.DoesNotExist:
        raise Http404 from None
    context = {"rubric": rubric, "kind": kinds.for_rubric(rubric), "can_define": access.is_lead(request.user),
               "is_locked": rubric_is_locked(rubric)}
    return render(request, "annotation/rubric_detail.html", context)


@access.lead_required
def rubric_create(request):
    return _rubric_form_page(request, rubric=None)


@access.lead_required
def rubric_edit(request, key):
    return _rubric_form_page(request, rubric=get_object_or_404(Rubric, key=key))


def _rubric_form_page(request, rubric):
    """Create or edit a rubric: the same checks and the same service as the import_rubric command."""
    editor = RubricDefinitionForms(request.POST or None, rubric=rubric)
    if request.method == "POST" and editor.is_valid():
        try:
            saved, outcome = rubric_import(definition=parse_rubric_definition(editor.definition_data()))
        except HyokaError as error:
            editor.add_definition_error(error)
        else:
            messages.success(request, RUBRIC_SAVED_MESSAGES[outcome] % {"key": saved.key})
            return redirect("rubric_detail", key=saved.key)
    context = {"editor": editor, "rubric": rubric, "is_locked": rubric is not None and rubric_is_locked(rubric)}
    return render(request, "annotation/rubric_form.html", context)


# Annotators: their work, the rating page, their ratings --------------------------------------------------

FLAG_LABELS = {"harmful": _("Harmful"), "broken": _("Broken"), "wrong_language": _("Wrong language")}


@login_required
def my_work(request):
    if not user_is_annotator(request.user):
        raise PermissionDenied(_("Only annotators have work to do here."))
    annotator = access.annotator_of(request.user)
    campaigns = list(access.annotated_campaigns(request.user))
    rows = my_work_query(annotator, campaigns) if annotator else []
    return render(request, "annotation/my_work.html", {"rows": rows})


@login_required
@require_POST
def item_next(request, slug):
    """The Start / Continue button: take the next item (a write: it may claim a slot) and open it."""
    campaign, annotator = access.campaign_for_annotator(request.user, slug)
    item = workflow.item_next(annotator=annotator, campaign=campaign)
    if item is None and gold_standing(campaign, annotator).paused:
        messages.error(request, gold_notice(campaign, annotator))
        return redirect("my_work")
    if item is None:
        messages.info(request, refusal(campaign) or _("Nothing is left for you to rate in %(name)s for now.") % {
            "name": campaign.name})
        return redirect("my_work")
    return redirect("item_rate", public_id=item.public_id)


@login_required
def item_rate(request, public_id):
    item, annotator = access.item_for_annotator(request.user, public_id)
    payload = item_for_rating(item, annotator, request.LANGUAGE_CODE)
    kind = kinds.for_campaign(item.campaign)
    refused = refusal(item.campaign, item.batch)
    context = {
        "item": payload,
        "axes": axes_with_scores(payload["axes"]),
        "score_turns": range(1, payload["score_turns"] + 1) if payload["score_turns"] else None,
        "campaign": item.campaign,
        "turns": kind.page_turns(payload),
        "refusal": refused,
        "gold_notice": gold_notice(item.campaign, annotator),
        "is_final": refused is not None,
        "flags": [(flag, FLAG_LABELS[flag]) for flag in workflow.FLAGS],
        "skip_reasons": Skip.Reason.choices,
    }
    return render(request, kind.RATE_TEMPLATE, context)


@login_required
def my_ratings(request, slug):
    campaign, annotator = access.campaign_for_annotator(request.user, slug)
    kind = kinds.for_campaign(campaign)
    rows = [(row, kind.answer_label(row.rating, request.LANGUAGE_CODE)) for row in my_ratings_query(annotator, campaign)]
    context = {"campaign": campaign, "rows": rows, "axes": campaign.rubric.axes.order_by("position")}
    return render(request, kind.MY_RATINGS_TEMPLATE, context)


# Leads: members, batches, assignments, opening, progress --------------------------------------------------


FAILED = object()


def _run_service(form, call, error_field=None):
    """``call(cleaned_data)`` if the form is valid: its result, or FAILED with the reason shown on the form."""
    if not form.is_valid():
        return FAILED
    try:
        return call(form.cleaned_data)
    except HyokaError as error:
        add_service_error(form, error, error_field)
        return FAILED


@login_required
def campaign_manage(request, slug):
    return _manage_page(request, access.campaign_for_lead(request.user, slug))


def _manage_page(request, campaign, **bound_forms):
    """The lead's page of a campaign; a form that failed is shown again, bound, with its errors."""
    forms = {
        "member_form": MemberAddForm(),
        "cut_form": CutBatchesForm(),
        "assign_form": AssignForm(campaign=campaign),
        "open_form": OpenForm(initial={"mode": campaign.mode}),
        **bound_forms,
    }
    kind = kinds.for_campaign(campaign)
    context = {"campaign": campaign, "people": campaign_people(campaign), "batches": campaign_batches(campaign),
               "has_items": campaign.items.exists(), "tier_choices": TierForm.base_fields["tier"].choices,
               "kind": kind, **kind.manage_context(campaign), **forms}
    return render(request, "annotation/manage.html", context)


MEMBER_ADDED = {
    "lead": _("%(username)s now leads this campaign."),
    "annotator": _("%(username)s now annotates this campaign."),
    "researcher": _("%(username)s may now read this campaign's report and unpublished releases."),
    "adjudicator": _("%(username)s may now adjudicate this campaign's disagreements."),
}


@login_required
@require_POST
def member_add(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = MemberAddForm(request.POST)
    if _run_service(form, lambda data: campaign_member_add(campaign=campaign, **data)) is FAILED:
        return _manage_page(request, campaign, member_form=form)
    messages.success(request, MEMBER_ADDED[form.cleaned_data["role"]] % form.cleaned_data)
    return redirect("campaign_manage", slug=slug)


@login_required
@require_POST
def exam_license(request, slug):
    """Record the source's license on an exam campaign's exams (the Manage page's "Source license"); other kinds
    have no exams: 404."""
    campaign = access.campaign_for_lead(request.user, slug)
    try:
        kinds.for_campaign(campaign).check_exam_import(campaign)
    except HyokaError as error:
        raise Http404(str(error)) from None
    form = ExamLicenseForm(request.POST, campaign=campaign)
    count = _run_service(form, lambda data: exam_license_record(campaign=campaign, **data))
    if count is FAILED:
        return _manage_page(request, campaign, license_form=form)
    messages.success(request, _("The source license %(license)s is recorded on %(count)d exams.") % {
        "license": form.cleaned_data["license"].strip(), "count": count})
    return redirect(reverse("campaign_manage", args=[slug]) + "#source-license")


@login_required
@require_POST
def annotator_tier(request, slug, handle):
    campaign, annotator = access.annotator_for_lead(request.user, slug, handle)
    form = TierForm(request.POST)
    if _run_service(form, lambda data: annotator_tier_set(annotator=annotator, tier=data["tier"])) is FAILED:
        messages.error(request, _("The tier of %(handle)s was not changed: choose one of the tiers listed.")
                       % {"handle": handle})
    else:
        messages.success(request, _("%(handle)s is now %(tier)s.") % {
            "handle": handle, "tier": annotator.get_tier_display()})
    return redirect("campaign_manage", slug=campaign.slug)


@login_required
@require_POST
def member_remove(request, slug, username):
    campaign = access.campaign_for_lead(request.user, slug)
    try:
        campaign_member_remove(campaign=campaign, username=username)
    except HyokaError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(username)s is no longer a member of this campaign.") % {"username": username})
    return redirect("campaign_manage", slug=slug)


@login_required
@require_POST
def batches_cut(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = CutBatchesForm(request.POST)
    made = _run_service(form, lambda data: workflow.campaign_cut_batches(campaign=campaign, **data))
    if made is FAILED:
        return _manage_page(request, campaign, cut_form=form)
    messages.success(request, _("%(count)d batches were cut.") % {"count": len(made)})
    short = items_short_of_k(campaign, made)
    if short:
        messages.info(request, _("%(items)d of their items already had raters from imported ratings, so they got "
                                 "fewer than k places to rate: each ends with up to k raters in all.")
                      % {"items": short})
    return redirect("campaign_manage", slug=slug)


@login_required
@require_POST
def batches_assign(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = AssignForm(request.POST, campaign=campaign)
    made = _run_service(form, lambda data: workflow.campaign_assign_batches(
        campaign=campaign, annotators=list(data["annotators"])), error_field="annotators")
    if made is FAILED:
        return _manage_page(request, campaign, assign_form=form)
    messages.success(request, _("%(count)d assignments were made.") % {"count": len(made)})
    return redirect("campaign_manage", slug=slug)


@login_required
@require_POST
def campaign_open(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    form = OpenForm(request.POST)
    opened = _run_service(form, lambda data: workflow.campaign_open(campaign=campaign, mode=data["mode"]))
    if opened is FAILED:
        return _manage_page(request, campaign, open_form=form)
    messages.success(request, _("The campaign is open for rating."))
    if opened.batches_cut:
        messages.info(request, _("Its items outside batches were cut into %(count)d batches first (in prompt "
                                 "order): pull mode hands out their places to rate.") % {"count": opened.batches_cut})
    return redirect("campaign_manage", slug=slug)


@login_required
@require_POST
def batch_close(request, public_id):
    batch = workflow.batch_close(batch=access.batch_for_lead(request.user, public_id))
    messages.success(request, _("Batch %(number)d is closed; its ratings are final.") % {"number": batch.number})
    return redirect("campaign_manage", slug=batch.campaign.slug)


@login_required
def campaign_assignments_page(request, slug):
    return _assignments_page(request, access.campaign_for_lead(request.user, slug))


def _assignments_page(request, campaign, failed_form=None):
    """Assignments with progress and last activity; a reassign form on each active one of an open batch."""
    candidates = reassignment_candidates(campaign)
    rows = []
    for row in campaign_assignments(campaign):
        assignment, form = row.assignment, None
        if assignment.status == Assignment.Status.ACTIVE and not assignment.batch.closed_at:
            is_failed = failed_form is not None and failed_form.assignment.pk == assignment.pk
            form = failed_form if is_failed else ReassignForm(assignment=assignment,
                                                              candidates=candidates[assignment.batch_id])
        rows.append((row, form))
    return render(request, "annotation/assignments.html", {"campaign": campaign, "rows": rows})


@login_required
@require_POST
def assignment_reassign(request, public_id):
    assignment = access.assignment_for_lead(request.user, public_id)
    campaign = assignment.batch.campaign
    form = ReassignForm(request.POST, assignment=assignment,
                        candidates=reassignment_candidates(campaign).get(assignment.batch_id, []))
    new = _run_service(form, lambda data: workflow.assignment_reassign(
        assignment=assignment, annotator=data["annotator"]), error_field="annotator")
    if new is FAILED:
        return _assignments_page(request, campaign, failed_form=form)
    messages.success(request, _("Batch %(number)d moved from %(old)s to %(new)s.") % {
        "number": assignment.batch.number, "old": assignment.annotator.handle,
        "new": new.annotator.handle})
    return redirect("campaign_assignments", slug=campaign.slug)


# The batch table lists this many batches a page (``?batches=N`` for page N); the CSV has them all. A campaign of
# 200,000 places in batches of 100 items has 1,000 batches, and rendering them all took most of the page's time.
PROGRESS_BATCHES_PER_PAGE = 100


@login_required
def campaign_progress_page(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    progress = campaign_progress(campaign)
    batches = Paginator(progress["by_batch"], PROGRESS_BATCHES_PER_PAGE).get_page(request.GET.get("batches"))
    return render(request, "annotation/progress.html", {"campaign": campaign, "progress": progress,
                                                        "batches": batches})


PROGRESS_CSV_COLUMNS = ("dimension", "key", "done", "total", "median_seconds", "skips", "flags")


@login_required
def campaign_progress_csv(request, slug):
    campaign = access.campaign_for_lead(request.user, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-progress.csv"'
    writer = csv.DictWriter(response, fieldnames=PROGRESS_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(progress_rows(campaign))
    return response


# Everyone: their profile, with their own API token -----------------------------------------------------------


@login_required
def profile(request):
    """The user's API token: made (replacing the old one; shown once) or revoked here, no admin needed."""
    new_token = None
    if request.method == "POST" and request.POST.get("action") == "make":
        new_token = token_make(user=request.user).key
    elif request.method == "POST" and request.POST.get("action") == "revoke":
        token_revoke(user=request.user)
        messages.success(request, _("Your API token was revoked."))
        return redirect("profile")
    context = {"new_token": new_token, "has_token": Token.objects.filter(user=request.user).exists()}
    return render(request, "annotation/profile.html", context)

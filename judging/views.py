"""The judging pages for leads: judge configs, a campaign's judge jobs, and a job's progress.

Only leads see these pages: configs are for any lead, a campaign's jobs only for its
leads (others get 403, or 404 for a job, whose existence is none of their business).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from annotation import access
from annotation.errors import HyokaError
from judging import selectors, services
from judging.forms import JudgeConfigForm, JudgeJobResumeForm, JudgeJobStartForm
from judging.models import JudgeConfig


@access.lead_required
def judge_config_list(request):
    return render(request, "judging/config_list.html", {"configs": selectors.configs_for_lead(request.user)})


@access.lead_required
def judge_config_create(request):
    return _config_form_page(request, config=None)


@access.lead_required
def judge_config_edit(request, name):
    return _config_form_page(request, config=get_object_or_404(JudgeConfig, name=name, is_external=False))


def _config_form_page(request, config):
    form = JudgeConfigForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        try:
            saved, created = services.judge_config_save(**form.service_arguments())
        except HyokaError as error:
            form.add_error(None, str(error))
        else:
            done = _("Judge config %(name)s was created.") if created else _("Judge config %(name)s was saved.")
            messages.success(request, done % {"name": saved.name})
            return redirect("judge_config_list")
    return render(request, "judging/config_form.html", {"form": form, "config": config})


@login_required
def judge_job_list(request, slug):
    """A campaign's judge jobs, and the form to start one, with its estimate before it starts."""
    campaign = access.campaign_for_lead(request.user, slug)
    form = JudgeJobStartForm(request.POST or request.GET or None, campaign=campaign)
    estimate = None
    if form.is_bound and form.is_valid():
        try:
            if request.method == "POST":
                job = services.judge_job_create(campaign=campaign, config=form.cleaned_data["config"],
                                                user=request.user)
                messages.success(request, _("The judge job was queued."))
                return redirect(job)
            estimate = services.judge_job_estimate(campaign=campaign, config=form.cleaned_data["config"])
        except HyokaError as error:
            form.add_error(None, str(error))
    context = {"campaign": campaign, "form": form, "estimate": estimate,
               "jobs": selectors.jobs_for_lead(request.user, campaign)}
    return render(request, "judging/job_list.html", context)


@login_required
def judge_job_detail(request, public_id):
    job = selectors.job_for_lead(request.user, public_id)
    bias = selectors.job_position_bias(job)
    context = {"job": job, "progress": selectors.job_progress(job), "resume_form": JudgeJobResumeForm(),
               "position_bias": bias, "position_bias_rows": selectors.position_bias_rows(bias and bias.as_dict())}
    return render(request, "judging/job_detail.html", context)


@login_required
@require_POST
def judge_job_action(request, public_id, action):
    """The pause, resume, cancel and retry buttons of the job page."""
    job = selectors.job_for_lead(request.user, public_id)
    if action not in JOB_ACTIONS:
        raise Http404("no such action")
    try:
        _act(request, job, action)
    except HyokaError as error:
        messages.error(request, str(error))
    return redirect(job)


JOB_ACTIONS = ("pause", "resume", "cancel", "retry-failures")


def _act(request, job, action):
    if action == "pause":
        services.judge_job_pause_by(job=job, user=request.user)
    elif action == "resume":
        form = JudgeJobResumeForm(request.POST)
        if not form.is_valid():
            raise HyokaError(" ".join(error for errors in form.errors.values() for error in errors))
        services.judge_job_resume(job=job, budget=form.cleaned_data["budget"])
    elif action == "cancel":
        services.judge_job_cancel(job=job)
    else:  # retry-failures
        count = services.judge_job_retry_failures(job=job)
        messages.success(request, _("%(count)d units will be judged again.") % {"count": count})

"""The generation pages for leads: model endpoints, a campaign's generation jobs, and a job's progress.

Endpoints are for any lead; a campaign's jobs only for its leads (others get 403, or 404 for a job).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from annotation import access
from annotation.errors import HyokaError
from judging import kinds, selectors, services
from judging.forms import GenerationJobStartForm, JudgeJobResumeForm, ModelEndpointForm
from judging.models import ModelEndpoint
from judging.views import JOB_ACTIONS


@access.lead_required
def model_endpoint_list(request):
    return render(request, "judging/endpoint_list.html", {"endpoints": selectors.endpoints_for_lead(request.user)})


@access.lead_required
def model_endpoint_create(request):
    return _endpoint_form_page(request, endpoint=None)


@access.lead_required
def model_endpoint_edit(request, name):
    return _endpoint_form_page(request, endpoint=get_object_or_404(ModelEndpoint, name=name))


def _endpoint_form_page(request, endpoint):
    form = ModelEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        try:
            saved, created = services.model_endpoint_save(**form.service_arguments())
        except HyokaError as error:
            form.add_error(None, str(error))
        else:
            done = _("Model endpoint %(name)s was created.") if created else _("Model endpoint %(name)s was saved.")
            messages.success(request, done % {"name": saved.name})
            return redirect("model_endpoint_list")
    return render(request, "judging/endpoint_form.html", {"form": form, "endpoint": endpoint})


@login_required
def generation_job_list(request, slug):
    """A campaign's generation jobs, and the form to start one, with its estimate before it starts."""
    campaign = access.campaign_for_lead(request.user, slug)
    form = GenerationJobStartForm(request.POST or request.GET or None)
    estimate = None
    if form.is_bound and form.is_valid():
        arguments = {"campaign": campaign, **form.service_arguments()}
        try:
            if request.method == "POST":
                job = services.generation_job_create(**arguments, user=request.user)
                messages.success(request, _("The generation job was queued."))
                return redirect(job)
            estimate = services.generation_job_estimate(**arguments)
        except HyokaError as error:
            form.add_error(None, str(error))
    context = {"campaign": campaign, "form": form, "estimate": estimate,
               "jobs": selectors.generation_jobs_for_lead(request.user, campaign),
               "generation_options": kinds.for_campaign(campaign).GENERATION_OPTIONS}
    return render(request, "judging/generation_job_list.html", context)


@login_required
def generation_job_detail(request, public_id):
    job = selectors.generation_job_for_lead(request.user, public_id)
    context = {"job": job, "progress": selectors.job_progress(job), "resume_form": JudgeJobResumeForm(),
               "samples": selectors.generation_samples_shown(job)}
    return render(request, "judging/generation_job_detail.html", context)


@login_required
@require_POST
def generation_job_action(request, public_id, action):
    """The pause, resume, cancel and retry buttons of the job page."""
    job = selectors.generation_job_for_lead(request.user, public_id)
    if action not in JOB_ACTIONS:
        raise Http404("no such action")
    form = JudgeJobResumeForm(request.POST)
    try:
        if not form.is_valid():
            raise HyokaError(" ".join(error for errors in form.errors.values() for error in errors))
        services.generation_job_act(job=job, action=action, user=request.user, budget=form.cleaned_data["budget"])
    except HyokaError as error:
        messages.error(request, str(error))
    return redirect(job)

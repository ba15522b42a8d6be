from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from annotation.errors import HyokaError
from annotation.forms import RubricDefinitionForms
from annotation.models import Campaign, Rubric
from annotation.rubric_definitions import parse_rubric_definition
from annotation.selectors import (
    campaign_model_counts,
    campaign_summaries,
    campaign_summary,
    rubric_is_locked,
    rubric_list as rubric_list_query,
    rubric_with_axes,
    user_is_lead,
)
from annotation.services import rubric_import

RUBRIC_SAVED_MESSAGES = {
    "created": _("Rubric %(key)s was created."),
    "updated": _("Rubric %(key)s was updated."),
    "unchanged": _("Rubric %(key)s is unchanged: the definition is the same as the stored one."),
}


def lead_required(view):
    """Anonymous users go to the sign-in page; signed-in users who are not leads get 403."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not user_is_lead(request.user):
            raise PermissionDenied(_("Only leads can do this."))
        return view(request, *args, **kwargs)

    return login_required(checked)


def home(request):
    return render(request, "annotation/home.html", {"summaries": campaign_summaries()})


def campaign_detail(request, slug):
    try:
        summary = campaign_summary(slug)
    except Campaign.DoesNotExist:
        raise Http404 from None
    context = {"summary": summary, "campaign": summary.campaign, "model_counts": campaign_model_counts(summary.campaign)}
    return render(request, "annotation/campaign_detail.html", context)


def rubric_list(request):
    context = {"rubrics": rubric_list_query(), "can_define": user_is_lead(request.user)}
    return render(request, "annotation/rubric_list.html", context)


def rubric_detail(request, key):
    try:
        rubric = rubric_with_axes(key)
    except Rubric.DoesNotExist:
        raise Http404 from None
    context = {"rubric": rubric, "can_define": user_is_lead(request.user), "is_locked": rubric_is_locked(rubric)}
    return render(request, "annotation/rubric_detail.html", context)


@lead_required
def rubric_create(request):
    return _rubric_form_page(request, rubric=None)


@lead_required
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

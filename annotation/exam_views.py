"""An exam campaign's figures, served to the campaign's members only (annotation.figure_files keeps them)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from annotation import access
from annotation.errors import HyokaError
from annotation.figure_files import CONTENT_TYPES, campaign_figure_dir, check_figure_name


@login_required
def exam_figure(request, slug, name):
    campaign = access.campaign_for_member(request.user, slug)
    try:
        check_figure_name(name)
    except HyokaError:
        raise Http404("no such figure") from None
    path = campaign_figure_dir(campaign.slug) / name
    if not path.is_file():
        raise Http404("no such figure")
    response = FileResponse(open(path, "rb"), content_type=CONTENT_TYPES[path.suffix.lower()])
    response["Cache-Control"] = "private, max-age=86400"  # a figure never changes once imported
    response["X-Content-Type-Options"] = "nosniff"
    return response

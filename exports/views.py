"""Pages of releases: the public datasets list and release pages, and the lead's pages to make, watch,
publish and withdraw releases. Thin: check access, call one service, render."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from annotation import access
from annotation.errors import HyokaError
from annotation.markdown import render_document
from exports import selectors, services
from exports.forms import ReleaseForm, WithdrawForm
from exports.models import Release, ReleaseFile


def dataset_list(request):
    from exports import kinds  # which import the release builders and reports (pyarrow, pandas): not at start-up

    # Each release with its rows of human judgments and its items, as its kind counts them.
    releases = [(release, *kinds.for_release(release).listed_sizes(release.stats))
                for release in selectors.visible_releases(request.user)]
    context = {"releases": releases, "sees_restricted": selectors.can_see_restricted(request.user)}
    return render(request, "exports/datasets_list.html", context)


def _for_reader(view):
    """A page of one dataset, called with the release its reader may read: anonymous readers of a restricted
    release are sent to sign in, and a release a reader may not read (an unpublished draft, to anyone but its
    leads and the researchers they granted) does not exist for them (404)."""

    @wraps(view)
    def wrapped(request, name, version):
        release = selectors.release_for_reader(request.user, name, version)
        if release is None:
            if not request.user.is_authenticated and Release.objects.filter(
                    name=name, version=version, restricted=True).exclude(status=Release.Status.DRAFT).exists():
                return redirect_to_login(request.get_full_path())
            raise Http404("no such dataset")
        return view(request, release)

    return wrapped


@_for_reader
def dataset_detail(request, release):
    files = selectors.release_files(release)
    context = {
        "release": release, "card": render_document(release.card), "files": files,
        "other_versions": selectors.other_versions(release),
        "can_manage": selectors.user_leads_release(request.user, release),
        "has_report": selectors.report_is_served(release, files),
    }
    return render(request, "exports/datasets_detail.html", context)


@_for_reader
def dataset_report(request, release):
    """The release's report (report.html, exports.release_report) as it was published: checked against its
    SHA-256 like any download, shown in the browser. A withdrawn release's files are no longer served: its page
    says why."""
    if release.status == Release.Status.WITHDRAWN:
        return redirect(release.get_absolute_url())
    try:
        target = services.release_file_for_download(release=release, path=selectors.REPORT_FILE)
    except ReleaseFile.DoesNotExist:
        raise Http404("this release has no report") from None  # built before releases had one, or of model series
    except services.ReleaseFileMismatch as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
    response = FileResponse(open(target, "rb"), content_type="text/html; charset=utf-8")
    # The page is our own template's output; it needs its inline styles and nothing else.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
def campaign_releases(request, slug):
    """The campaign's releases: its leads make new ones here; the researchers they granted access read the list
    and open the drafts (to download them before they are published)."""
    campaign = access.campaign_for_reader(request.user, slug)
    can_manage = access.is_lead_of(request.user, campaign)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied(_("Only the leads of this campaign may do this."))
    form = ReleaseForm(request.POST or None, campaigns=access.led_campaigns(request.user),
                       initial={"campaigns": [campaign], "title": campaign.name})
    if request.method == "POST" and form.is_valid():
        try:
            release = services.release_create(**form.service_arguments(), user=request.user)
        except HyokaError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Release %(release)s is being built.") % {"release": release})
            return redirect("release_manage", release.public_id)
    context = {"campaign": campaign, "form": form, "releases": selectors.campaign_releases(campaign),
               "can_manage": can_manage}
    return render(request, "exports/release_campaign.html", context)


@login_required
def release_manage(request, public_id):
    release = selectors.release_for_lead(request.user, public_id)
    files = selectors.release_files(release)
    context = {
        "release": release, "card": render_document(release.card) if release.card else None,
        "files": files, "has_report": selectors.report_is_served(release, files),
        "withdraw_form": WithdrawForm(),
        "campaigns": list(release.campaigns.order_by("slug")), "stale": services.release_build_is_stale(release),
    }
    return render(request, "exports/release_manage.html", context)


def _lead_action(action, done_message):
    """A POST-only lead view that runs one service on the release and goes back to its page."""

    @login_required
    @require_POST
    def view(request, public_id):
        release = selectors.release_for_lead(request.user, public_id)
        try:
            result = action(request, release)
        except HyokaError as error:
            messages.error(request, str(error))
            return redirect("release_manage", release.public_id)
        messages.success(request, done_message % {"release": release})
        return result or redirect("release_manage", release.public_id)

    return view


def _publish(request, release):
    services.release_publish(release=release)


def _withdraw(request, release):
    services.release_withdraw(release=release, reason=request.POST.get("reason", ""))


def _rebuild(request, release):
    services.release_rebuild(release=release)


def _discard(request, release):
    campaign = release.campaigns.order_by("slug").first()
    series = selectors.release_series(release)
    services.release_discard(release=release)
    return redirect("campaign_releases", campaign.slug) if campaign else redirect(series[0].get_absolute_url())


release_publish = _lead_action(_publish, gettext_lazy("Release %(release)s is published."))
release_withdraw = _lead_action(_withdraw, gettext_lazy("Release %(release)s is withdrawn."))
release_rebuild = _lead_action(_rebuild, gettext_lazy("Release %(release)s is being built again."))
release_discard = _lead_action(_discard, gettext_lazy("Draft %(release)s is discarded."))

"""Uploads: a file received from the browser or the API, imported by a worker with the import services.

``upload_receive`` checks the options, moves the received file (already streamed to disk by
annotation.upload_handlers) into its own folder and queues the import once the transaction commits.
``upload_run`` (the Celery task's service) claims the upload, runs the importer of its kind inside one
transaction while gathering every bad record (the first MAX_LISTED_ERRORS and a count of the rest), and
rolls everything back when there is one: the same all-or-nothing rule as the import commands, with more
than the first error shown. The worker reports the bytes read to a file beside the upload, which the
progress bar reads (a write to the upload's row would wait for the import's transaction).

Each kind of upload has an UploadImporter (its import function and what it asks of the upload). Annotation's
are registered here; judging registers the one of verdicts (judging.apps), since the import of verdicts
lives there.
"""

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from annotation import kinds
from annotation.errors import HyokaError, RecordError, RecordErrors, collecting_record_errors
from annotation.figure_files import uploaded_figures_dir
from annotation.models import Annotator, Upload
from annotation.readers import detect_format, reporting_progress

from .imports import checklists_import, ratings_import, responses_import
from .rubrics import rubric_file_import

logger = logging.getLogger(__name__)

MAX_LISTED_ERRORS = 50
# Uploaded on a campaign's page; which of them a campaign takes is its kind's (annotation.kinds: UPLOAD_KINDS).
CAMPAIGN_KINDS = (Upload.Kind.RESPONSES, Upload.Kind.RATINGS, Upload.Kind.VERDICTS, Upload.Kind.CHECKLISTS,
                  Upload.Kind.EXAM, Upload.Kind.EXAM_FIGURES)


@dataclass(frozen=True)
class UploadImporter:
    """How one kind of upload is imported: ``run(upload)`` imports the file and returns a one-line summary."""

    run: Callable
    on_campaign: bool = True  # uploaded to a campaign; else on its own (a rubric)
    suffixes: tuple = ()  # what the file name must end with (before .gz); () for JSON Lines or CSV
    suffix_message: str = ""  # the refusal of another suffix: %(name)s is the file's name
    required: dict = field(default_factory=dict)  # option -> the message when it is missing


IMPORTERS = {}  # Upload.Kind -> UploadImporter


def register_upload_importer(kind, importer):
    IMPORTERS[kind] = importer


def upload_receive(*, user, kind, received_path, file_name, size, campaign=None, options=None):
    """Keep the file at ``received_path`` (a file under the uploads folder) as an upload and queue its import.

    ``options``: ``tier`` (ratings), ``judge`` (verdicts), ``pair`` [model A, model B] (responses of a
    pairwise campaign), ``source``, ``format`` (jsonl or csv, instead of the file name's suffix), ``series``,
    ``step`` and ``tokens`` (checkpoint scores: the model series, and the step and tokens seen of a result file
    that does not say them), ``license`` (exam questions: the source's license). Empty ones are dropped (0 is
    not empty: step 0 is a checkpoint).
    """
    options = {key: value for key, value in (options or {}).items() if value not in (None, "", [])}
    _check_options(kind, campaign, file_name, options)
    upload = Upload(kind=kind, campaign=campaign, file_name=file_name, size=size, options=options,
                    created_by=user)
    folder = upload_folder() / str(upload.public_id)
    folder.mkdir(parents=True)
    upload.path = str(folder / (get_valid_filename(file_name) or "upload"))
    os.replace(received_path, upload.path)
    upload.save()
    from annotation.tasks import upload_run_task  # tasks import services; import here to keep the graph one-way

    transaction.on_commit(lambda: upload_run_task.delay(upload.id))
    return upload


def upload_folder():
    return Path(settings.HYOKA_UPLOAD_DIR)


def _check_options(kind, campaign, file_name, options):
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise HyokaError(_("Unknown kind of upload %(kind)r.") % {"kind": kind})
    if importer.on_campaign != (campaign is not None):
        raise HyokaError(_("%(kind)s are uploaded on a campaign's page, rubrics on the rubrics page.")
                         % {"kind": Upload.Kind(kind).label})
    if campaign is not None and kind not in kinds.for_campaign(campaign).UPLOAD_KINDS:
        offered = ", ".join(str(Upload.Kind(name).label) for name in kinds.for_campaign(campaign).UPLOAD_KINDS)
        raise HyokaError(_("%(kind)s cannot be uploaded to campaign %(slug)s, a %(campaign_kind)s campaign; it takes: "
                           "%(offered)s.") % {"kind": Upload.Kind(kind).label, "slug": campaign.slug,
                                              "campaign_kind": campaign.rubric.get_kind_display(), "offered": offered})
    if importer.suffixes:
        if not str(file_name).lower().removesuffix(".gz").endswith(importer.suffixes):
            raise HyokaError(str(importer.suffix_message) % {"name": file_name})
    else:
        detect_format(file_name, options.get("format"))  # a RecordError naming the file when it cannot tell
    for option, message in importer.required.items():
        if not options.get(option):
            raise HyokaError(str(message))
    if options.get("license") and kind != Upload.Kind.EXAM:
        raise HyokaError(_("A license is recorded with exam questions only."))
    if options.get("tier") and options["tier"] not in Annotator.Tier.values:
        raise HyokaError(_("%(tier)r is not a tier.") % {"tier": options["tier"]})
    if "pair" in options and (len(options["pair"]) != 2 or not all(options["pair"])):
        raise HyokaError(_("A pair is two models: give both, or neither."))


def upload_run(*, upload_id):
    """Import an upload's file; a no-op unless the upload is queued (a redelivered task finds it claimed)."""
    claimed = Upload.objects.filter(id=upload_id, status=Upload.Status.QUEUED).update(
        status=Upload.Status.RUNNING, started_at=timezone.now())
    if claimed != 1:
        return
    upload = Upload.objects.select_related("campaign").get(id=upload_id)
    try:
        summary = _import_all_or_nothing(upload)
    except RecordErrors as errors:
        _finish(upload, Upload.Status.FAILED, errors=[_located(upload, error) for error in errors.first],
                error_count=errors.count)
    except Exception:
        logger.exception("upload %s failed", upload.public_id)
        _finish(upload, Upload.Status.FAILED, errors=[_("The import stopped on an unexpected error; nothing was "
                                                        "written. The worker's log has the details.")], error_count=1)
    else:
        _finish(upload, Upload.Status.DONE, summary=summary)


def _import_all_or_nothing(upload):
    errors = RecordErrors(limit=MAX_LISTED_ERRORS)
    progress = progress_path(upload)
    with transaction.atomic():
        with collecting_record_errors(errors), reporting_progress(lambda done: progress.write_text(str(done))):
            try:
                summary = IMPORTERS[upload.kind].run(upload)
            except HyokaError as error:  # what stops an import: a contradiction with what is stored, ...
                errors.add(error)
        if errors.count:
            raise errors  # rolls the import back
    return summary


def _located(upload, error):
    """An error as the uploader should read it: FILE:LINE: field: reason, FILE being the name they gave."""
    if isinstance(error, RecordError):
        where = f"{upload.file_name}:{error.line}" if error.line else upload.file_name
        return _without_server_paths(upload, f"{where}: {error.field}: {error.reason}")
    return _without_server_paths(upload, str(error).replace(upload.path, upload.file_name))


def _without_server_paths(upload, message):
    """The server's folders are not the uploader's business: an exam's figure folder is "the figures uploaded"."""
    if upload.campaign_id:
        message = message.replace(str(uploaded_figures_dir(upload.campaign.slug)),
                                  _("the figures uploaded to the campaign (upload their zip first)"))
    return message.replace(str(Path(upload.path).parent), _("the uploaded file's folder"))


def _finish(upload, status, summary="", errors=(), error_count=0):
    Upload.objects.filter(id=upload.id).update(status=status, summary=summary, errors=list(errors),
                                               error_count=error_count, finished_at=timezone.now())
    shutil.rmtree(Path(upload.path).parent, ignore_errors=True)


def progress_path(upload):
    return Path(upload.path).with_name(".progress")


def upload_progress(upload):
    """The share of the upload's file imported so far, 0 to 1."""
    if upload.status in (Upload.Status.DONE, Upload.Status.FAILED):
        return 1.0
    try:
        done = int(progress_path(upload).read_text() or 0)
    except (OSError, ValueError):
        return 0.0
    return min(done / upload.size, 1.0) if upload.size else 0.0


def _file_format(upload):
    return upload.options.get("format")


def _responses(upload):
    pair = upload.options.get("pair")
    return responses_import(path=upload.path, campaign_slug=upload.campaign.slug, pair=tuple(pair) if pair else None,
                            source=upload.options.get("source", ""), file_format=_file_format(upload)).describe()


def _ratings(upload):
    return ratings_import(path=upload.path, campaign_slug=upload.campaign.slug, file_format=_file_format(upload),
                          tier=upload.options.get("tier", "")).describe()


def _checklists(upload):
    return checklists_import(path=upload.path, source=upload.options.get("source", ""),
                             file_format=_file_format(upload)).describe()


def _rubric(upload):
    rubric, action = rubric_file_import(path=upload.path)
    return f"rubric {rubric.key}: {action}"


register_upload_importer(Upload.Kind.RESPONSES, UploadImporter(_responses))
register_upload_importer(Upload.Kind.RATINGS, UploadImporter(_ratings))
register_upload_importer(Upload.Kind.CHECKLISTS, UploadImporter(_checklists))


def _checkpoint_scores(upload):
    from .checkpoint_imports import checkpoint_scores_import  # numpy, pyarrow: in the worker, not at start-up

    step, tokens = upload.options.get("step"), upload.options.get("tokens")
    return checkpoint_scores_import(paths=[upload.path], series_name=upload.options["series"],
                                    step=int(step) if step not in (None, "") else None,
                                    tokens=int(tokens) if tokens not in (None, "") else None,
                                    file_format=_file_format(upload)).describe()


def _exam(upload):
    """Exam questions (a center-examination-jp .json or a gakucho .jsonl file, named as its exam): their figures
    come from the zips uploaded to the campaign before."""
    from .exam_imports import exam_import

    return exam_import(paths=[upload.path], campaign_slug=upload.campaign.slug,
                       images=uploaded_figures_dir(upload.campaign.slug),
                       license=upload.options.get("license") or None).describe()


def _exam_figures(upload):
    """A zip of figures, unpacked (images only, by plain names, within the size limits) into the campaign's
    uploaded figures, where the exam files uploaded next find them. Nothing is kept of a zip that fails."""
    from annotation.figure_files import unpack_figures_zip

    kinds.for_campaign(upload.campaign).check_exam_import(upload.campaign)
    folder = uploaded_figures_dir(upload.campaign.slug)
    staging = folder.with_name(f".unpacking-{upload.public_id}")
    try:
        names = unpack_figures_zip(upload.path, staging, joining=folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _("%(count)d figures received; the exam files uploaded next take their figures from them.") % {
        "count": len(names)}


register_upload_importer(Upload.Kind.RUBRIC, UploadImporter(
    _rubric, on_campaign=False, suffixes=(".json",),
    suffix_message=gettext_lazy("%(name)s: a rubric is a JSON document (.json, or .json.gz).")))
register_upload_importer(Upload.Kind.EXAM, UploadImporter(
    _exam, suffixes=(".json", ".jsonl"), suffix_message=gettext_lazy(
        "%(name)s: exam questions are a .json file (center-examination-jp, named as its exam) or a .jsonl file "
        "(gakucho-benchmark).")))
register_upload_importer(Upload.Kind.EXAM_FIGURES, UploadImporter(
    _exam_figures, suffixes=(".zip",), suffix_message=gettext_lazy("%(name)s: exam figures come as a .zip file.")))
register_upload_importer(Upload.Kind.CHECKPOINT_SCORES, UploadImporter(
    _checkpoint_scores, on_campaign=False, required={"series": gettext_lazy("Name the model series the scores belong to.")}))

"""Building a release's files into its folder. A release holds campaigns of one kind; what differs by kind
(the tables of human judgments and verdicts, the preference pairs, the figures and their files, the card's
sections) comes from the kind's module, exports.kinds.<kind>.

Everything is written into a staging folder beside the release folder, then moved into place in one
rename, so a reader (or a failed build) never sees half a release. Order: the tables (three streaming passes,
see exports.builders; then the tables made from the figures, and the checklists), rubric.json, the figures'
files (likert: agreement.json, meta_eval.json, leaderboard.json; pairwise: agreement.json, rankings.json),
report.html (each campaign's report page, exports.release_report), README.md, then
SHA256SUMS of those, the zip of all of them (with that SHA256SUMS), and finally SHA256SUMS again with the zip's
line added: ``sha256sum -c SHA256SUMS`` passes both in the folder and in the unpacked zip.
"""

import ctypes
import gc
import shutil
import time
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from django.utils import timezone

from annotation.selectors import campaign_rater_counts
from exports import builders, kinds, selectors
from exports.card import dataset_card
from exports.checklists import write_checklist_tables
from exports.checksums import HashingFile, WrittenFile, sha256sums_text
from exports.models import Release
from exports.privacy import pseudonyms
from exports.quality_tables import opted_in, write_quality_tables
from exports.release_report import data_versions, write_release_report
from exports.tables import write_json

CHECKSUMS = "SHA256SUMS"
README = "README.md"
# Parquet is compressed already; deflating it again only costs time. The text formats are deflated at
# level 1: a third of the time of the default level 6 on a large release, for files a quarter larger.
STORED_SUFFIXES = (".parquet",)
DEFLATE_LEVEL = 1
PROGRESS_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True)
class BuildResult:
    files: list
    stats: dict
    card: str


class BuildProgress:
    """Writes a build's step and percentage on its release row, at most once a second.

    The three streaming passes take 5–80 % in proportion to the rows read (counted up front); the
    statistics 80–90 %; the card, checksums and zip the rest.
    """

    def __init__(self, release_pk):
        self.release_pk = release_pk
        self.total_rows = 0
        self.rows = 0
        self._written_at = 0.0

    def step(self, step, percent=None):
        self._save(step=step, percent=percent if percent is not None else self._row_percent(), force=True)

    def advance(self, rows):
        self.rows += rows
        self._save(percent=self._row_percent())

    def _row_percent(self):
        return 5 + int(75 * self.rows / self.total_rows) if self.total_rows else 5

    def _save(self, *, percent, step=None, force=False):
        now = time.monotonic()
        if not force and now - self._written_at < PROGRESS_INTERVAL_SECONDS:
            return
        self._written_at = now
        changes = {"build_progress": min(int(percent), 99), "build_heartbeat_at": timezone.now()}
        if step is not None:
            changes["build_step"] = step
        Release.objects.filter(pk=self.release_pk, build_status=Release.BuildStatus.RUNNING).update(**changes)


def build_release_files(release, folder, progress):
    """Write every file of ``release`` into ``folder`` (replacing an earlier build of the draft)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.building-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        result = _write_all(release, staging, progress)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_all(release, folder, progress):
    series = selectors.release_series(release)
    if series:  # a release of model series (exports.series_release), not of campaigns
        from exports.series_release import write_series_release

        return write_series_release(release, series, folder, progress)
    ctx = build_context(release, folder, progress)
    kind = ctx.kind
    progress.total_rows = kind.rows_to_read(ctx.campaign_ids)
    progress.step(Release.BuildStep.RATINGS, 5)
    versions = data_versions(ctx.campaigns)  # the report must describe the data the tables hold
    files, judgments = kind.write_judgments(ctx)
    release_freed_memory()
    progress.step(Release.BuildStep.RESPONSES)
    files += builders.write_prompts_responses_pairs(ctx, kind.PREFERENCE_PAIRS, kind.preference_pairs(ctx, judgments))
    release_freed_memory()
    progress.step(Release.BuildStep.VERDICTS)
    verdict_files, judged = kind.write_verdicts(ctx)
    files += verdict_files + builders.write_models(ctx)
    progress.step(Release.BuildStep.STATISTICS, 80)
    release_freed_memory()
    figures, figure_tables = kind.write_figures(ctx, judgments, judged)
    checklist_files, checklist_specs = write_checklist_tables(ctx)
    quality_files, quality_specs = write_quality_tables(ctx)
    checklist_files, checklist_specs = checklist_files + quality_files, checklist_specs + quality_specs
    files += figure_tables + checklist_files + [write_json(folder, "rubric.json", rubric_document(ctx))]
    files += [write_json(folder, name, data) for name, data in figures.items()]
    raters = {campaign.slug: campaign_rater_counts([campaign.pk]) for campaign in ctx.campaigns}
    # The report is drawn from the figures just written (likert) and checks that the data did not move.
    files += [write_release_report(ctx, versions, figures, judgments, judged, raters)]
    tiers = Counter(ctx.annotators[pk].tier for pk in set(judgments.annotator.tolist()))
    progress.step(Release.BuildStep.CARD, 90)
    rows = {file.table: file.rows for file in files if file.table}
    card = dataset_card(ctx, specs=kind.table_specs(ctx) + checklist_specs, written=rows, figures=figures,
                        annotator_tiers=tiers, raters=raters)
    files = [write_json(folder, README, card, fmt="md")] + files
    files += checksums_and_zip(release, folder, files)
    stats = {"kind": kind.NAME, "rows": rows, **kind.release_stats(judgments), "annotators": dict(tiers),
             "raters_per_item": {campaign.slug: {"overlap": campaign.overlap, **raters[campaign.slug].as_dict()}
                                 for campaign in ctx.campaigns},
             "final_labels": ctx.final_labels.counts,
             "files": len(files), "bytes": sum(file.size for file in files)}
    return BuildResult(files, stats, card)


def release_freed_memory():
    """Hand memory freed by a pass back to the system before the next step allocates its own.

    A pass frees millions of small objects and Arrow buffers; glibc and Arrow's allocator keep those
    pages, and the next pass's text chunks or the statistics' large arrays would come on top of them.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def build_context(release, folder, progress=None):
    campaigns = selectors.release_campaigns(release)
    ids = [campaign.pk for campaign in campaigns]
    annotators = selectors.rating_annotators(ids, with_checks=opted_in(campaigns))
    names = pseudonyms(release.secret, [row.pseudonym for row in annotators.values()])
    return builders.BuildContext(
        release=release, folder=folder, campaigns=campaigns, kind=kinds.for_campaign(campaigns[0]),
        axes_by_rubric=selectors.campaign_axes(campaigns),
        annotators=annotators, names={pk: names[row.pseudonym] for pk, row in annotators.items()},
        models=selectors.campaign_models(ids), progress=progress,
        final_labels=builders.FinalLabels(release, campaigns),
    )


def rubric_document(ctx):
    """rubric.json: each campaign's rubric key, and each rubric in the format import_rubric reads."""
    rubrics = {campaign.rubric.pk: campaign.rubric for campaign in ctx.campaigns}
    return {
        "campaigns": {campaign.slug: campaign.rubric.key for campaign in ctx.campaigns},
        "rubrics": [
            {"key": rubric.key, "name": rubric.name, "kind": rubric.kind,
             "description": {"ja": rubric.description_ja, "en": rubric.description_en},
             **kinds.for_rubric(rubric).rubric_fields(rubric),
             "axes": [{"key": axis.key, "label": {"ja": axis.label_ja, "en": axis.label_en},
                       "criterion": {"ja": axis.criterion_ja, "en": axis.criterion_en},
                       "min": axis.min_score, "max": axis.max_score, "points": axis.points}
                      for axis in ctx.axes_by_rubric.get(pk, [])]}
            for pk, rubric in rubrics.items()
        ],
    }


def checksums_and_zip(release, folder, files):
    """Write SHA256SUMS and the zip of everything; return their WrittenFiles (SHA256SUMS last)."""
    (folder / CHECKSUMS).write_text(sha256sums_text(files))
    archive = f"{release.name}-{release.version}.zip"
    handle = HashingFile(folder / archive)
    with handle, zipfile.ZipFile(handle, "w", allowZip64=True) as zipped:
        for path in [file.path for file in files] + [CHECKSUMS]:
            compression = zipfile.ZIP_STORED if path.endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            zipped.write(folder / path, f"{release.name}-{release.version}/{path}", compress_type=compression,
                         compresslevel=DEFLATE_LEVEL)
    zip_file = WrittenFile(archive, handle.size, handle.hexdigest, "zip")
    checksums = write_json(folder, CHECKSUMS, sha256sums_text(files + [zip_file]), fmt="sha256")
    return [zip_file, checksums]


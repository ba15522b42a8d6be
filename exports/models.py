"""Releases: versioned, immutable snapshots of campaigns' (or model series') data and statistics, published as
files.

A release is built (by a Celery task or the ``release`` command) while it is a draft,
then published; from then on the database refuses any change to it and to its files
(exports.release_immutability) except withdrawing it with a reason. A correction is a new version.
"""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from annotation.models import Campaign, ModelSeries, UnicodeJSONEncoder

# Semantic Versioning 2.0.0 (semver.org), anchored.
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
semver_validator = RegexValidator(SEMVER_PATTERN, _("Use a semantic version such as 1.0.0 or 1.1.0-rc.1."))


class Release(models.Model):
    """A versioned dataset made of one or more campaigns, with its build's lifecycle.

    ``status`` is the release's state for readers (draft → published → withdrawn);
    ``build_status`` is the state of the files of a draft (queued → running →
    succeeded | failed). Only exports.services change either, each with a
    conditional update. ``secret`` keys the per-release annotator pseudonyms and is
    never exported.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class BuildStatus(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        SUCCEEDED = "succeeded", _("Built")
        FAILED = "failed", _("Failed")

    class BuildStep(models.TextChoices):
        WAITING = "", _("Waiting for a worker")
        RATINGS = "ratings", _("Writing ratings and items")
        RESPONSES = "responses", _("Writing prompts, responses and preference pairs")
        VERDICTS = "verdicts", _("Writing judge verdicts")
        STATISTICS = "statistics", _("Computing agreement and human–judge figures")
        CARD = "card", _("Writing the dataset card, checksums and archive")
        DONE = "done", _("Done")

    class License(models.TextChoices):
        CC_BY_4_0 = "cc-by-4.0", "CC BY 4.0"
        CC_BY_SA_4_0 = "cc-by-sa-4.0", "CC BY-SA 4.0"
        CC_BY_NC_4_0 = "cc-by-nc-4.0", "CC BY-NC 4.0"
        CC_BY_NC_SA_4_0 = "cc-by-nc-sa-4.0", "CC BY-NC-SA 4.0"
        CC0_1_0 = "cc0-1.0", "CC0 1.0"
        ODC_BY = "odc-by", "ODC-By 1.0"
        OTHER = "other", _("Other (see the description)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.SlugField(_("dataset name"), max_length=100, help_text=_("The folder and URL name of the dataset."))
    version = models.CharField(_("version"), max_length=64, validators=[semver_validator])
    campaigns = models.ManyToManyField(Campaign, through="ReleaseCampaign", related_name="releases")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    license = models.CharField(_("license"), max_length=30, choices=License.choices, default=License.CC_BY_4_0)
    citation = models.TextField(_("citation"), blank=True, help_text=_("BibTeX or plain text."))
    restricted = models.BooleanField(
        _("restricted"), default=False, help_text=_("Only signed-in researchers can see and download it.")
    )
    include_usernames = models.BooleanField(_("include annotator user names"), default=False)
    include_emails = models.BooleanField(_("include annotator e-mail addresses"), default=False)
    include_comments = models.BooleanField(_("include rating comments"), default=False)
    dpo_threshold = models.FloatField(
        _("preference pair threshold"), default=1.0,
        help_text=_("Two responses to a prompt form a preference pair when their mean overall scores differ "
                    "by at least this much."),
    )
    secret = models.CharField(max_length=64, editable=False, help_text=_("Keys the annotator pseudonyms."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    build_status = models.CharField(
        _("build"), max_length=20, choices=BuildStatus.choices, default=BuildStatus.QUEUED
    )
    build_progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    build_step = models.CharField(_("step"), max_length=20, choices=BuildStep.choices, blank=True)
    build_error = models.TextField(_("build error"), blank=True)
    build_started_at = models.DateTimeField(null=True, blank=True)
    build_finished_at = models.DateTimeField(null=True, blank=True)
    build_heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Renewed while the build runs; a stale one means its worker died.")
    )
    stats = models.JSONField(_("statistics"), default=dict, blank=True, encoder=UnicodeJSONEncoder)
    card = models.TextField(_("dataset card"), blank=True, help_text=_("The README.md of the release."))
    withdrawn_reason = models.TextField(_("why it was withdrawn"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="release_unique_name_version"),
            models.CheckConstraint(condition=Q(version__regex=SEMVER_PATTERN), name="release_version_semver"),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawn_reason=""), name="release_withdrawn_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(build_status="succeeded"), name="release_published_is_built"
            ),
            models.CheckConstraint(condition=Q(dpo_threshold__gt=0), name="release_dpo_threshold_positive"),
        ]
        indexes = [
            # Serves the public datasets list: published releases, newest first.
            models.Index(fields=["status", "-published_at"], name="release_status_published"),
        ]

    def __str__(self):
        return f"{self.name} {self.version}"

    def get_absolute_url(self):
        return reverse("dataset_detail", args=[self.name, self.version])

    @property
    def is_public(self):
        return self.status != self.Status.DRAFT

    @property
    def is_building(self):
        return self.build_status in (self.BuildStatus.QUEUED, self.BuildStatus.RUNNING)


class ReleaseCampaign(models.Model):
    """A campaign included in a release; fixed once the release is published (exports.release_immutability)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="release_campaigns")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "campaign"], name="releasecampaign_unique"),
        ]

    def __str__(self):
        return f"{self.campaign_id} in {self.release_id}"


class ReleaseSeries(models.Model):
    """A model series included in a release (its checkpoints, trajectories and per-example outcomes). A release
    holds campaigns or model series, not both. (No many-to-many field on Release: adding one would rebuild the
    release table on SQLite, under its immutability triggers.)"""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="release_series")
    series = models.ForeignKey(ModelSeries, on_delete=models.PROTECT, related_name="release_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "series"], name="releaseseries_unique")]

    def __str__(self):
        return f"{self.series_id} in {self.release_id}"


class ReleaseFile(models.Model):
    """One file of a release, with the size and SHA-256 it was written with; checked on every download."""

    class Format(models.TextChoices):
        PARQUET = "parquet", "Parquet"
        JSONL = "jsonl", "JSON Lines"
        CSV = "csv", "CSV"
        JSON = "json", "JSON"
        MARKDOWN = "md", "Markdown"
        HTML = "html", "HTML"
        CHECKSUMS = "sha256", "SHA256SUMS"
        ZIP = "zip", "ZIP"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(_("path"), max_length=200, help_text=_("Relative to the release folder."))
    table = models.CharField(_("table"), max_length=50, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    size = models.BigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.BigIntegerField(_("rows"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["release", "position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "path"], name="releasefile_unique_release_path"),
        ]

    def __str__(self):
        return self.path


class ReportDataChange(models.Model):
    """One statement that changed a campaign's ratings, scores, checklist ticks, verdicts or verdict ticks,
    written by database triggers (migration exports 0004), so no writer can miss it: the web, the API, imports,
    the judging engine, revisions, deletions and raw SQL alike. The sum of a campaign's `changes` is its data
    version: it grows with every committed change, in whatever order transactions commit (a maximum id would
    not: a later id can commit first). After a computation the rows are compacted into one holding their sum
    (exports.services.report_snapshots), so the sum never moves back and the rows stay few.

    No foreign-key constraint: a campaign's deletion writes rows here while it deletes its ratings."""

    campaign = models.ForeignKey(Campaign, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    changes = models.PositiveIntegerField(db_default=1)

    class Meta:
        # Serves the data version: the sum over a campaign's (few) rows.
        indexes = [models.Index(fields=["campaign"], name="report_change_by_campaign")]


class ReportSnapshot(models.Model):
    """The report page's figures for one campaign, one request (judge, level, replicates, language: `key`)
    and one data version, rendered as HTML. Computed once (the unique constraint; a computation is claimed by a
    conditional update), kept while newer ones are computed.

    A report API's answer is kept the same way, as JSON text in `answer_json` (its key names the API: a page's
    and an API's rows never share a key): exports.services.report_snapshots.report_json_kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="report_snapshots")
    key = models.CharField(max_length=64)
    params = models.JSONField(default=dict, encoder=UnicodeJSONEncoder)
    version = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    html = models.TextField(blank=True)
    answer_json = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key", "version"], name="report_snapshot_unique_version"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_snapshot_progress_percent"),
        ]
        # Serves the page: the newest finished snapshot of a campaign and key.
        indexes = [models.Index(fields=["campaign", "key", "-version"], name="report_snapshot_newest")]

    def __str__(self):
        return f"{self.campaign} report {self.key[:8]} v{self.version} {self.status}"

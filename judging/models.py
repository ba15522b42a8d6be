import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from annotation.models import (
    Campaign, ChecklistItem, Item, LanguageModel, PairOrder, PairwiseVerdict, Prompt, Response, Rubric, RubricAxis,
    UnicodeJSONEncoder,
)
from annotation.scored_verdicts import SCORED_STATUSES


class InconsistentPairs(models.TextChoices):
    """What a pair counts as when a judge's verdicts in the two orders disagree (position bias)."""

    TIE = "tie", _("Count as a tie")
    DROP = "drop", _("Leave out")


class EndpointConnection(models.Model):
    """How Hyoka reaches a model: the one home of the connection, sampling, price and limit settings that
    judge configs (JudgeConfig) and model endpoints (ModelEndpoint) share.

    The API key itself is never stored: ``api_key_env`` names the environment variable
    that holds it on the workers. judging.client.client_for() makes the client of a connection,
    judging.limits.limiter_for_connection() its limits, and judging.services.connections checks it.
    """

    base_url = models.URLField(
        _("base URL"), max_length=500, blank=True,
        help_text=_("An OpenAI-compatible endpoint, for example https://api.openai.com/v1."),
    )
    model = models.CharField(_("model"), max_length=200, blank=True)
    api_key_env = models.CharField(
        _("API key variable"), max_length=100, blank=True, default="OPENAI_API_KEY",
        help_text=_("The name of the environment variable that holds the API key on the workers; "
                    "empty for endpoints without a key."),
    )
    temperature = models.FloatField(
        _("temperature"), default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)]
    )
    top_p = models.FloatField(
        _("top p"), null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Nucleus sampling; empty to leave it to the endpoint."),
    )
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    max_tokens = models.PositiveIntegerField(_("max tokens"), default=1024, validators=[MinValueValidator(1)])
    samples = models.PositiveSmallIntegerField(
        _("samples per item"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Several samples of one item are aggregated by their median."),
    )
    price_input_per_million = models.DecimalField(
        _("price per million input tokens (USD)"), max_digits=10, decimal_places=4, default=0
    )
    price_output_per_million = models.DecimalField(
        _("price per million output tokens (USD)"), max_digits=10, decimal_places=4, default=0
    )
    budget = models.DecimalField(
        _("budget per job (USD)"), max_digits=12, decimal_places=4, null=True, blank=True,
        help_text=_("A job pauses when its calls have cost this much; empty for no cap."),
    )
    concurrency = models.PositiveSmallIntegerField(
        _("concurrent requests"), default=8, validators=[MinValueValidator(1), MaxValueValidator(256)],
        help_text=_("At most this many calls in flight to this endpoint and model, across all workers."),
    )
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=0, help_text=_("Across all workers; 0 for no limit.")
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=60, validators=[MinValueValidator(1)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts per call"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("429, 5xx and timeouts are tried again up to this many times in all, with backoff."),
    )

    class Meta:
        abstract = True

    @property
    def endpoint_label(self):
        return f"{self.model} @ {self.base_url}" if self.base_url else ""

    def connection_spec(self):
        """The connection and sampling settings a job freezes when it is made (prices as strings)."""
        return {
            "base_url": self.base_url, "model": self.model, "temperature": self.temperature, "top_p": self.top_p,
            "seed": self.seed, "max_tokens": self.max_tokens, "samples": self.samples,
            "price_input_per_million": str(self.price_input_per_million),
            "price_output_per_million": str(self.price_output_per_million),
        }


class JudgeConfig(EndpointConnection):
    """How an LLM judge is asked: its connection (EndpointConnection), rubric, template and parsing.

    An external judge only names the source of imported verdicts; it has no endpoint.
    """

    class OutputFormat(models.TextChoices):
        JSON_SCHEMA = "json_schema", _("JSON with a schema (structured output)")
        TEXT = "text", _("Text, parsed strictly")

    name = models.SlugField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_external = models.BooleanField(
        _("external"), default=False, help_text=_("Its verdicts were imported from another tool.")
    )
    template = models.CharField(_("prompt template"), max_length=50, blank=True)
    template_version = models.PositiveSmallIntegerField(_("template version"), default=1)
    output_format = models.CharField(
        _("output format"), max_length=20, choices=OutputFormat.choices, default=OutputFormat.JSON_SCHEMA
    )
    max_parse_retries = models.PositiveSmallIntegerField(
        _("re-asks after unparseable output"), default=2, validators=[MaxValueValidator(10)]
    )
    inconsistent = models.CharField(
        _("inconsistent pairs"), max_length=10, choices=InconsistentPairs.choices, default=InconsistentPairs.TIE,
        help_text=_("Pairwise: what a pair judged differently in the two orders counts as in rankings and "
                    "meta-evaluation."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("judge config")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_external=True) | (~Q(base_url="") & ~Q(model="") & ~Q(template="")),
                name="judgeconfig_endpoint_unless_external",
            ),
            models.CheckConstraint(condition=Q(samples__gte=1), name="judgeconfig_samples_at_least_one"),
            models.CheckConstraint(condition=Q(concurrency__gte=1), name="judgeconfig_concurrency_at_least_one"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="judgeconfig_attempts_at_least_one"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("judge_config_edit", args=[self.name])


class ModelEndpoint(EndpointConnection):
    """How Hyoka asks a model to answer prompts: its connection (EndpointConnection), the LanguageModel its
    answers are stored as, and an optional system prompt. Generation jobs run it over campaigns' prompts."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    language_model = models.ForeignKey(
        LanguageModel, on_delete=models.PROTECT, related_name="endpoints", verbose_name=_("answers as"),
        help_text=_("The evaluated model its answers are stored as."),
    )
    description = models.TextField(_("description"), blank=True)
    samples = models.PositiveSmallIntegerField(
        _("samples per prompt"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("The first sample is stored as the model itself, sample n as MODEL#n."),
    )
    max_tokens = models.PositiveIntegerField(_("max tokens"), default=2048, validators=[MinValueValidator(1)])
    system_prompt = models.TextField(
        _("system prompt"), blank=True, help_text=_("Sent first in every conversation; empty for none.")
    )
    output_format = models.CharField(
        _("output format"), max_length=20, choices=JudgeConfig.OutputFormat.choices, default="text",
        help_text=_("How exam questions are answered by default: text ending in 「答え: N」, or JSON with a schema "
                    "(for endpoints that support structured output)."),
    )
    accepts_images = models.BooleanField(
        _("accepts images"), default=False,
        help_text=_("The endpoint takes image parts: exam questions are sent with their figures."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("model endpoint")
        constraints = [
            models.CheckConstraint(condition=~Q(base_url="") & ~Q(model=""), name="modelendpoint_has_endpoint"),
            models.CheckConstraint(condition=Q(samples__gte=1), name="modelendpoint_samples_at_least_one"),
            models.CheckConstraint(condition=Q(concurrency__gte=1), name="modelendpoint_concurrency_at_least_one"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("model_endpoint_edit", args=[self.name])


class LlmJob(models.Model):
    """One run of an LLM job (judging a campaign's items, or generating answers to its prompts): a row with
    a lifecycle, shared by every kind of job that the one engine runs (judging.services.engine).

    Only the lifecycle services in judging.services.lifecycle change ``status``; each
    change is a conditional update, so two workers (or a worker and a lead) never
    both win a transition. ``spec`` freezes what is sent (endpoint, model, sampling,
    prices, and for judges the template version) when the job is created, so editing
    the config later does not change a job half-way.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    spec = models.JSONField(_("request parameters"), encoder=UnicodeJSONEncoder)
    budget = models.DecimalField(_("budget (USD)"), max_digits=12, decimal_places=4, null=True, blank=True)
    estimate = models.JSONField(_("estimate"), default=dict, blank=True, encoder=UnicodeJSONEncoder)
    message = models.TextField(_("message"), blank=True, help_text=_("Why the job paused or failed, and what to do."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Renewed by the workers on the job; a stale one means they died.")
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_active(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    def results_by_status(self):
        """{status: count} of the job's finished units ("ok" for those that produced a result)."""
        relation, field = self.RESULTS
        return dict(getattr(self, relation).values_list(field).annotate(n=models.Count("id")).order_by())


class JudgeJob(LlmJob):
    """One run of a judge config over a campaign's items."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="judge_jobs")
    config = models.ForeignKey(JudgeConfig, on_delete=models.PROTECT, related_name="jobs")
    total = models.PositiveIntegerField(_("units"), default=0, help_text=_("Items × samples (× 2 orders for pairs)."))
    api_error_as_lowest = models.BooleanField(
        _("count an API error as the lowest score"), default=False,
        help_text=_("As llm-jp-judge does (a guardrail may have refused): in the leaderboard and the safety rates, "
                    "an item whose call failed with an API error counts as the lowest score (1) on every axis."),
    )

    class Meta(LlmJob.Meta):
        verbose_name = _("judge job")
        constraints = [
            # One unfinished job per (campaign, config): a second would only repeat the first one's calls.
            models.UniqueConstraint(
                fields=["campaign", "config"], condition=Q(status__in=["queued", "running", "paused"]),
                name="judgejob_one_unfinished_per_campaign_config",
            ),
        ]
        indexes = [
            # Serves the recovery sweep: running or queued jobs whose workers stopped beating.
            models.Index(fields=["status", "heartbeat_at"], name="judgejob_status_heartbeat"),
        ]

    def __str__(self):
        return f"{self.config.name} on {self.campaign.slug} ({self.status})"

    def get_absolute_url(self):
        return reverse("judge_job_detail", args=[self.public_id])

    # Where the job's results are and which field says how each ended ("ok" for success).
    RESULTS = ("verdicts", "parse_status")
    CANCELLED_MESSAGE = _("Cancelled; resume to judge the remaining items.")
    FAILED_MESSAGE = _("No item got a score: every call failed. See the error rates.")

    @property
    def connection(self):
        return self.config


class LlmUnit(models.Model):
    """One unit of work of a job, what a worker claims, with a lease, and marks done with its result.

    A worker that dies stops renewing its leases; once they expire, another worker
    claims the units again. Done units are never claimed, so a result already
    stored is never asked for twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    sample = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class JudgeUnit(LlmUnit):
    """One (item, order, turn, sample) of a judge job, the order empty for likert items, the turn empty when the
    judge grades the whole conversation (a template grading turn by turn, MT-Bench's, sets it)."""

    job = models.ForeignKey(JudgeJob, on_delete=models.CASCADE, related_name="units")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    order = models.CharField(
        max_length=2, choices=PairOrder.choices, blank=True,
        help_text=_("Pairwise items: the order the two responses are shown in; empty for likert items."),
    )
    turn = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("The turn judged (1, 2, ...); empty for the whole conversation."))

    class Meta:
        constraints = [
            # Coalesce: a null turn (the whole conversation) is one unit, not one per insert.
            models.UniqueConstraint(F("job"), F("item"), F("order"), F("sample"), Coalesce(F("turn"), 0),
                                    name="judgeunit_unique_job_item_order_sample_turn"),
        ]
        indexes = [
            # Serves the claim: a job's pending units in order, skipping those under a live lease.
            models.Index(fields=["job", "id"], condition=Q(status="pending"), name="judgeunit_pending"),
            # Serves lease renewal by the worker that holds them.
            models.Index(fields=["lease_token"], condition=Q(status="pending"), name="judgeunit_lease"),
        ]

    def __str__(self):
        return f"unit {self.item_id}{self.order}#{self.sample} of job {self.job_id}"


class Verdict(models.Model):
    """A judge's judgment of one item (one row per sample, and per order shown for a pair): scores as
    VerdictScore rows (likert), or ``verdict`` (pairwise, in the item's terms: A is ``item.response``).

    Only ``ok`` and ``imported`` verdicts have scores or a verdict; every other status is a typed
    failure (a database trigger refuses scores on them, a check constraint a verdict), counted but never scored.
    """

    class ParseStatus(models.TextChoices):
        OK = "ok", _("Parsed")
        IMPORTED = "imported", _("Imported")
        PARSE_ERROR = "parse_error", _("Unparseable output")
        TRUNCATED = "truncated", _("Truncated output")
        REFUSED = "refused", _("Refused")
        API_ERROR = "api_error", _("API error")

    SCORED = tuple(map(ParseStatus, SCORED_STATUSES))  # annotation.scored_verdicts: which verdicts count

    judge = models.ForeignKey(JudgeConfig, on_delete=models.PROTECT, related_name="verdicts")
    job = models.ForeignKey(JudgeJob, on_delete=models.CASCADE, null=True, blank=True, related_name="verdicts")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="verdicts")
    sample = models.PositiveSmallIntegerField(_("sample"), default=0)
    verdict = models.CharField(
        _("verdict"), max_length=10, choices=PairwiseVerdict.choices, blank=True,
        help_text=_("Pairwise items: the verdict in the item's terms (A is the item's first response); "
                    "empty for likert items and failures."),
    )
    order = models.CharField(
        _("order shown"), max_length=2, choices=PairOrder.choices, blank=True,
        help_text=_("Pairwise items: the order the judge was shown the two responses in; empty when unknown."),
    )
    turn = models.PositiveSmallIntegerField(
        _("turn"), null=True, blank=True,
        help_text=_("The turn judged (1, 2, ...; MT-Bench grades each turn); empty for the whole conversation."))
    rationale = models.TextField(_("rationale"), blank=True)
    raw_output = models.TextField(_("raw output"), blank=True)
    parse_status = models.CharField(max_length=20, choices=ParseStatus.choices, default=ParseStatus.OK)
    parser_version = models.CharField(_("parser version"), max_length=20, blank=True)
    error_kind = models.CharField(_("error kind"), max_length=30, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Imported verdicts: one per (judge, item, order, turn, sample). Job verdicts: one per (job, item,
            # order, turn, sample), so a second job of the same judge keeps its own verdicts. The order is empty
            # for likert items; a pair judged in both orders (position swap) has one verdict per order. The turn
            # is null for a verdict on the whole conversation (Coalesce: still one per key).
            models.UniqueConstraint(
                F("judge"), F("item"), F("order"), F("sample"), Coalesce(F("turn"), 0), condition=Q(job__isnull=True),
                name="verdict_unique_judge_item_order_sample_turn",
            ),
            models.UniqueConstraint(
                F("job"), F("item"), F("order"), F("sample"), Coalesce(F("turn"), 0), condition=Q(job__isnull=False),
                name="verdict_unique_job_item_order_sample_turn",
            ),
            models.CheckConstraint(condition=Q(turn__isnull=True) | Q(turn__gte=1), name="verdict_turn_from_one"),
            models.CheckConstraint(
                condition=Q(verdict__in=["", *PairwiseVerdict.values]), name="verdict_verdict_known"
            ),
            models.CheckConstraint(condition=Q(order__in=["", *PairOrder.values]), name="verdict_order_known"),
            models.CheckConstraint(
                condition=Q(verdict="") | Q(parse_status__in=["ok", "imported"]), name="verdict_failure_has_no_verdict"
            ),
        ]
        indexes = [
            # Serves job progress and error counts: a job's verdicts by status.
            models.Index(fields=["job", "parse_status"], condition=Q(job__isnull=False), name="verdict_job_status"),
        ]

    def __str__(self):
        turn = "" if self.turn is None else f" turn {self.turn}"
        return f"{self.judge} on {self.item}{turn} #{self.sample}"


class VerdictScore(models.Model):
    """A judge's score on one axis, kept inside the axis range by a database trigger (annotation.score_checks);
    refused on a failed verdict by another (judging.scored_verdicts)."""

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="scores")
    axis = models.ForeignKey(RubricAxis, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verdict", "axis"], name="verdictscore_unique_verdict_axis"),
        ]

    def __str__(self):
        return f"{self.axis.key}={self.score}"


class VerdictCheck(models.Model):
    """A judge's answer to one checklist item of the judged prompt: yes or no. For a pair, one per response,
    ``side`` saying which in the item's terms (A is ``item.response``); empty for a likert item.

    Only parsed verdicts have checks: a reply whose checklist answers are missing or malformed is a parse
    failure as a whole. A checklist item a judge answered is never deleted (PROTECT).
    """

    class Side(models.TextChoices):
        A = "A", _("Response A")
        B = "B", _("Response B")

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="checks")
    checklist_item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="verdict_checks")
    side = models.CharField(_("response"), max_length=1, choices=Side.choices, blank=True)
    checked = models.BooleanField(_("yes"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verdict", "checklist_item", "side"],
                                    name="verdictcheck_unique_verdict_item_side"),
            models.CheckConstraint(condition=Q(side__in=["", "A", "B"]), name="verdictcheck_side_known"),
        ]

    def __str__(self):
        return f"{self.verdict_id}{self.side} {'✓' if self.checked else '✗'} {self.checklist_item_id}"


class LlmCall(models.Model):
    """One call to an endpoint (or one answer taken from the cache), with what it cost.

    A call that failed is recorded with its kind (rate_limited, server_error, ...);
    a job's error rates are counts of these rows by ``outcome``.
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("Parsed")
        PARSE_ERROR = "parse_error", _("Unparseable output")
        TRUNCATED = "truncated", _("Truncated output (max tokens)")
        REFUSED = "refused", _("Refused")
        RATE_LIMITED = "rate_limited", _("Rate limited (429)")
        SERVER_ERROR = "server_error", _("Server error (5xx)")
        TIMEOUT = "timeout", _("Timeout")
        CONNECTION = "connection", _("Connection error")
        AUTH = "auth", _("Authentication (401)")
        FORBIDDEN = "forbidden", _("Forbidden (403)")
        NOT_FOUND = "not_found", _("Not found (404)")
        QUOTA = "quota", _("Quota exhausted")
        BAD_REQUEST = "bad_request", _("Bad request (400)")
        INVALID_RESPONSE = "invalid_response", _("Invalid response")

    sample = models.PositiveSmallIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1, help_text=_("1 for the first call of the unit."))
    cached = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=30, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, default=0)
    cache_key = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class JudgeCall(LlmCall):
    """One call of a judge job, for one unit (item, order, turn, sample)."""

    job = models.ForeignKey(JudgeJob, on_delete=models.CASCADE, related_name="calls")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    order = models.CharField(max_length=2, choices=PairOrder.choices, blank=True)
    turn = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            # Serves the job's error rates and totals.
            models.Index(fields=["job", "outcome"], name="judgecall_job_outcome"),
        ]

    def __str__(self):
        return f"call {self.attempt} for {self.item_id}#{self.sample}: {self.outcome}"


class JudgeCacheEntry(models.Model):
    """A completion kept under the hash of everything that determined it, so it is never paid for twice.

    The key hashes the endpoint, model, template version, rendered messages, sampling
    parameters (with the sample and re-ask index) and the parser version; see
    judging.prompts.cache_key.
    """

    key = models.CharField(max_length=64, unique=True)
    content = models.TextField(blank=True)
    refusal = models.TextField(blank=True)
    finish_reason = models.CharField(max_length=30, blank=True)
    model = models.CharField(max_length=200, blank=True, help_text=_("The model name the endpoint answered with."))
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("judge cache entries")

    def __str__(self):
        return self.key[:12]


class GenerationJob(LlmJob):
    """One run of a model endpoint over a campaign's prompts: every prompt without a response from the
    endpoint's model (and sample) is answered, turn by turn; the answers become responses and items."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="generation_jobs")
    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.PROTECT, related_name="jobs")
    total = models.PositiveIntegerField(_("units"), default=0, help_text=_("Prompts × samples."))
    first_sample = models.PositiveSmallIntegerField(
        _("first sample"), default=0, help_text=_("0, or the next free sample when asked for a new sample.")
    )

    class Meta(LlmJob.Meta):
        verbose_name = _("generation job")
        constraints = [
            # One unfinished job per (campaign, endpoint): a second would only repeat the first one's calls.
            models.UniqueConstraint(
                fields=["campaign", "endpoint"], condition=Q(status__in=["queued", "running", "paused"]),
                name="generationjob_one_unfinished_per_campaign_endpoint",
            ),
        ]
        indexes = [
            # Serves the recovery sweep: running or queued jobs whose workers stopped beating.
            models.Index(fields=["status", "heartbeat_at"], name="generationjob_status_heartbeat"),
        ]

    def __str__(self):
        return f"{self.endpoint.name} on {self.campaign.slug} ({self.status})"

    def get_absolute_url(self):
        return reverse("generation_job_detail", args=[self.public_id])

    RESULTS = ("generations", "status")
    CANCELLED_MESSAGE = _("Cancelled; resume to answer the remaining prompts.")
    FAILED_MESSAGE = _("No prompt got an answer: every call failed. See the error rates.")

    @property
    def connection(self):
        return self.endpoint


class GenerationUnit(LlmUnit):
    """One (prompt, sample) of a generation job: every turn of the prompt answered in one conversation.

    ``round`` counts retries of a failed unit: it is part of the cache key, so a retry asks the endpoint
    again instead of reading the failed answer back from the cache."""

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="units")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "prompt", "sample"], name="generationunit_unique_job_prompt_sample"),
        ]
        indexes = [
            # Serves the claim: a job's pending units in order, skipping those under a live lease.
            models.Index(fields=["job", "id"], condition=Q(status="pending"), name="generationunit_pending"),
            # Serves lease renewal by the worker that holds them.
            models.Index(fields=["lease_token"], condition=Q(status="pending"), name="generationunit_lease"),
        ]

    def __str__(self):
        return f"unit {self.prompt_id}#{self.sample} of generation job {self.job_id}"


class GenerationCall(LlmCall):
    """One call of a generation job: one turn of one (prompt, sample)."""

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="calls")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="+")
    turn = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            # Serves the job's error rates and totals.
            models.Index(fields=["job", "outcome"], name="generationcall_job_outcome"),
        ]

    def __str__(self):
        return f"call {self.attempt} for {self.prompt_id}#{self.sample} turn {self.turn}: {self.outcome}"


class Generation(models.Model):
    """The outcome of one (prompt, sample) of a generation job: a stored response with its provenance, or a
    typed failure (API error, truncated, refused) that is counted and may be retried, never a response.

    An answer the endpoint returned normally is a response, even an empty one.
    """

    class Status(models.TextChoices):
        OK = "ok", _("Answered")
        TRUNCATED = "truncated", _("Truncated output (max tokens)")
        REFUSED = "refused", _("Refused")
        API_ERROR = "api_error", _("API error")

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="generations")
    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.PROTECT, related_name="generations")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="+")
    sample = models.PositiveSmallIntegerField(_("sample"), default=0)
    response = models.OneToOneField(
        Response, on_delete=models.CASCADE, null=True, blank=True, related_name="generation"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    model_at_endpoint = models.CharField(_("model at the endpoint"), max_length=200, blank=True,
                                         help_text=_("The model name the endpoint answered with."))
    base_url = models.URLField(_("base URL"), max_length=500)
    sampling = models.JSONField(_("sampling"), default=dict, encoder=UnicodeJSONEncoder,
                                help_text=_("temperature, top_p, max_tokens as sent."))
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    finish_reasons = models.JSONField(_("finish reasons"), default=list, help_text=_("One per turn."))
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, default=0)
    raw_output = models.TextField(_("raw output"), blank=True, help_text=_("A failure's partial answer or refusal."))
    error_kind = models.CharField(_("error kind"), max_length=30, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "prompt", "sample"], name="generation_unique_job_prompt_sample"),
            # Only an answer is a response; a failure never is.
            models.CheckConstraint(condition=Q(status="ok", response__isnull=False)
                                   | (~Q(status="ok") & Q(response__isnull=True)),
                                   name="generation_response_iff_ok"),
        ]
        indexes = [
            # Serves job progress and error counts: a job's generations by status.
            models.Index(fields=["job", "status"], name="generation_job_status"),
        ]

    def __str__(self):
        return f"{self.endpoint} on {self.prompt_id}#{self.sample}: {self.status}"

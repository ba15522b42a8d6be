import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest, Least
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Writes Japanese as it is, not as \\u escapes: half the bytes on the wire, and far faster bulk inserts."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class PairwiseVerdict(models.TextChoices):
    """The verdicts a pairwise rubric may offer (its ``verdicts`` are a subset holding A and B).

    A stored verdict is in the item's terms: A is ``item.response``, B is ``item.response_b``,
    whatever order the rater was shown (that order is kept beside it, as AB or BA).
    """

    A = "A", _("A is better")
    B = "B", _("B is better")
    TIE = "tie", _("Tie")
    BOTH = "both", _("Both are good")
    NEITHER = "neither", _("Neither is good")


class PairOrder(models.TextChoices):
    """The order a pair was shown in: AB puts ``item.response`` first (on the left), BA puts it second."""

    AB = "AB", _("A first")
    BA = "BA", _("B first")


class LanguageModel(models.Model):
    """An evaluated LLM."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    family = models.CharField(_("family"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=50, blank=True, help_text=_("For example 7B or 70B."))
    checkpoint = models.CharField(_("checkpoint"), max_length=300, blank=True)
    is_japanese = models.BooleanField(_("Japanese-specific"), default=False)
    series = models.ForeignKey(
        "ModelSeries", on_delete=models.PROTECT, null=True, blank=True, related_name="checkpoints",
        verbose_name=_("model series"), help_text=_("Set when the model is one checkpoint of a series."),
    )
    step = models.BigIntegerField(_("training step"), null=True, blank=True)
    tokens = models.BigIntegerField(_("tokens seen"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language model")
        constraints = [
            models.UniqueConstraint(fields=["series", "step"], name="languagemodel_unique_series_step"),
            models.CheckConstraint(
                condition=Q(series__isnull=True, step__isnull=True) | Q(series__isnull=False, step__gte=0),
                name="languagemodel_checkpoint_has_step",
            ),
        ]

    def __str__(self):
        return self.name


def sample_model_name(name, sample):
    """The LanguageModel a model's sample is stored as: the model itself for sample 0, ``NAME#n`` for sample n - 1.
    A Response is one model's answer to one prompt, so each further sample is a model of its own."""
    return name if sample == 0 else f"{name}#{sample + 1}"


def model_and_sample(name):
    """The inverse of sample_model_name: ("gpt-4o", 1) for "gpt-4o#2", ("gpt-4o", 0) for "gpt-4o"."""
    base, mark, number = name.rpartition("#")
    if mark and number.isdigit() and int(number) >= 2 and base:
        return base, int(number) - 1
    return name, 0


class Prompt(models.Model):
    """One or more user turns, identified by (source, external_id)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("source benchmark"), max_length=200, blank=True)
    external_id = models.CharField(_("external id"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    turns = models.JSONField(
        _("turns"), encoder=UnicodeJSONEncoder, help_text=_("The user turns, in order, as a list of strings.")
    )
    reference = models.TextField(_("reference answer"), blank=True)
    context = models.TextField(_("context"), blank=True, help_text=_("An audience or style constraint."))
    metadata = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="prompt_unique_source_external_id"),
        ]

    def __str__(self):
        return f"{self.source}:{self.external_id}" if self.source else self.external_id

    @property
    def first_turn(self):
        return self.turns[0] if self.turns else ""


class OriginalResponses(models.Manager):
    """Responses as models gave them: a response's copies made for quality control (attention and gold items,
    annotation.quality_items) are left out, so that no figure, import or job ever meets them."""

    def get_queryset(self):
        return super().get_queryset().filter(copy_of__isnull=True)


class Response(models.Model):
    """One LanguageModel's answer to one Prompt, one text per turn.

    ``copy_of`` marks a copy made for quality control (a degraded copy of an attention item, a gold item's
    copy): same prompt and model, so it shows like any other; ``objects`` never returns it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="responses")
    model = models.ForeignKey(LanguageModel, on_delete=models.PROTECT, related_name="responses")
    turns = models.JSONField(
        _("turns"), encoder=UnicodeJSONEncoder, help_text=_("The answer to each user turn, as a list of strings.")
    )
    metadata = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)
    copy_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text=_("A copy made for quality control: the response it copies."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OriginalResponses()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["prompt", "model"], condition=Q(copy_of__isnull=True),
                                    name="response_unique_prompt_model"),
        ]

    def __str__(self):
        return f"{self.model} → {self.prompt}"


class ChecklistItem(models.Model):
    """One yes/no question of a prompt's checklist (does the answer name two mountains?).

    Annotators may tick it as they rate (RatingCheck) and judges are asked it in their template. Imported
    with the prompt's responses or on its own (import_checklists), or written by a judge (generated).
    """

    class Origin(models.TextChoices):
        IMPORTED = "imported", _("imported")
        GENERATED = "generated", _("generated by a judge")

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.TextField(_("text"))
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices, default=Origin.IMPORTED)
    generated_by = models.CharField(
        _("generated by"), max_length=100, blank=True, help_text=_("The judge config that wrote it, if any.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "position"], name="checklistitem_unique_prompt_position"),
        ]

    def __str__(self):
        return f"{self.prompt_id}#{self.position}: {self.text[:40]}"


class Rubric(models.Model):
    """How items are judged. Immutable once any rating or verdict uses it."""

    class Kind(models.TextChoices):
        LIKERT = "likert", _("Likert scale")
        PAIRWISE = "pairwise", _("Pairwise comparison")
        EXAM = "exam", _("Exam questions")

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LIKERT)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    verdicts = models.JSONField(
        _("verdict options"), default=list, blank=True, help_text=_("For pairwise rubrics, e.g. A, B, tie.")
    )
    is_builtin = models.BooleanField(_("built-in"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key

    @property
    def description(self):
        """The description in the page's language (English on English pages, else Japanese; one language
        stands in for the other when it is empty)."""
        english = (get_language() or "").startswith("en")
        return (self.description_en if english else self.description_ja) or self.description_ja or self.description_en


class RubricAxis(models.Model):
    """One scored dimension of a likert rubric, with a descriptor per point."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="axes")
    key = models.SlugField(_("key"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    label_ja = models.CharField(_("label (Japanese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    criterion_ja = models.TextField(_("criterion (Japanese)"), blank=True)
    criterion_en = models.TextField(_("criterion (English)"), blank=True)
    min_score = models.SmallIntegerField(_("lowest score"), default=1)
    max_score = models.SmallIntegerField(_("highest score"), default=5)
    points = models.JSONField(
        _("point descriptors"),
        default=dict,
        blank=True,
        help_text=_('Score → {"ja": ..., "en": ...}, for the points that have a descriptor.'),
    )

    class Meta:
        ordering = ["rubric", "position"]
        verbose_name_plural = _("rubric axes")
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="axis_unique_rubric_key"),
            models.CheckConstraint(condition=Q(min_score__lt=F("max_score")), name="axis_min_below_max"),
        ]

    def __str__(self):
        return f"{self.rubric.key}.{self.key}"


class Annotator(models.Model):
    """Someone who rates: a platform user, or an external rater known only by a handle."""

    class Tier(models.TextChoices):
        PROFESSIONAL = "professional", _("Professional")
        GRADUATE = "graduate", _("Graduate student")
        UNDERGRADUATE = "undergraduate", _("Undergraduate student")
        VENDOR = "vendor", _("Vendor")
        EXTERNAL = "external", _("External")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="annotator"
    )
    handle = models.CharField(_("handle"), max_length=150, unique=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.EXTERNAL)
    pseudonym = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_external = models.BooleanField(_("external"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("Where external ratings came from."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_external=True) | Q(user__isnull=False), name="annotator_user_unless_external"
            ),
        ]

    def __str__(self):
        return self.handle


def turns_scored(per_turn_scores, response_turns):
    """The rule of Campaign.scored_turns, from plain values (the rating hot paths read them in SQL)."""
    return max(1, len(response_turns or [])) if per_turn_scores else None


class Campaign(models.Model):
    """A rubric applied to a set of items, rated by k distinct annotators each."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instructions = models.TextField(
        _("instructions for the annotators"), blank=True,
        help_text=_("Markdown, shown above the texts on every rating page of the campaign."),
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="campaigns")
    overlap = models.PositiveSmallIntegerField(
        _("overlap k"), default=2, help_text=_("How many distinct annotators rate each item.")
    )
    class Mode(models.TextChoices):
        BATCHES = "batches", _("Batches assigned by the lead")
        PULL = "pull", _("Annotators pull the next item")

    show_model_names = models.BooleanField(_("show model names to annotators"), default=False)
    per_turn_scores = models.BooleanField(
        _("score each turn"), default=False,
        help_text=_("Likert campaigns: annotators score every axis once per turn of the conversation (as MT-Bench "
                    "grades turn 1 and turn 2), instead of once for the whole conversation."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    mode = models.CharField(_("assignment mode"), max_length=20, choices=Mode.choices, default=Mode.BATCHES)
    lease_minutes = models.PositiveSmallIntegerField(
        _("lease (minutes)"), default=30,
        help_text=_("In pull mode, an item taken but not submitted returns to the pool after this long."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CampaignMembership", related_name="campaigns", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class ContextPlacement(models.TextChoices):
        SYSTEM = "system", _("As the system message")
        BEFORE_QUESTION = "before_question", _("Before the question, in the first user turn")

    context_placement = models.CharField(
        _("where a prompt's context goes"), max_length=20, choices=ContextPlacement.choices,
        default=ContextPlacement.SYSTEM,
        help_text=_("When Hyoka asks models to answer the campaign's prompts (generation jobs)."),
    )
    prompts = models.ManyToManyField(
        "Prompt", through="CampaignPrompt", related_name="+", blank=True,
        help_text=_("Prompts listed for generation before any model answered them."),
    )
    pair_model_a = models.ForeignKey(
        LanguageModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("Pairwise campaigns: the models whose responses make the items once both are stored."),
    )
    pair_model_b = models.ForeignKey(LanguageModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    gold_share = models.FloatField(
        _("share of gold items"), default=0.0,
        help_text=_("When batches are cut, this share of each batch is gold items (0 to 1; 0: none)."),
    )
    gold_training = models.BooleanField(
        _("training mode"), default=False,
        help_text=_("Annotators see the known answer of a gold item after answering it."),
    )
    gold_warn_after = models.PositiveSmallIntegerField(
        _("warn after misses"), null=True, blank=True,
        help_text=_("Warn an annotator after this many gold items answered outside their tolerance."),
    )
    gold_pause_after = models.PositiveSmallIntegerField(
        _("pause after misses"), null=True, blank=True,
        help_text=_("Give an annotator no more items after this many misses, until the lead lifts the pause."),
    )
    release_quality_items = models.BooleanField(
        _("release quality-control data"), default=False,
        help_text=_("Releases include the ratings of gold and attention items, in a table of their own."),
    )
    disagreement_threshold = models.PositiveSmallIntegerField(
        _("disagreement threshold"), null=True, blank=True,
        help_text=_("How much disagreement an item may have before it goes to adjudication: on a likert item the "
                    "largest score range on an axis, on a pair the votes against the most common verdict. "
                    "Empty: no adjudication queue."),
    )
    extra_raters_max = models.PositiveSmallIntegerField(
        _("extra annotators at most"), default=0,
        help_text=_("When an item's ratings disagree beyond the threshold, one more annotator is added to it, "
                    "up to this many per item (0: none)."),
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=2), name="campaign_overlap_at_least_two"),
            models.CheckConstraint(condition=Q(gold_share__gte=0, gold_share__lte=1), name="campaign_gold_share_range"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaign_detail", args=[self.slug])

    def scored_turns(self, response):
        """How many turns an annotator scores one by one on an item showing ``response``: None when the campaign
        scores the whole conversation (the default), else the response's turns (at least one)."""
        return turns_scored(self.per_turn_scores, response.turns)


class Item(models.Model):
    """The unit rated in a campaign: one response (likert), or an ordered pair (pairwise).

    ``quality_role`` marks an item that measures annotators instead of models (annotation.quality_items): a gold item
    (a known answer, GoldAnswer) or an attention item (a degraded copy of ``original``). Annotators cannot tell
    them apart; no figure counts them."""

    class QualityRole(models.TextChoices):
        NONE = "", _("none (counts toward the figures)")
        GOLD = "gold", _("gold item")
        ATTENTION = "attention", _("attention item")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="items")
    response_b = models.ForeignKey(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="items_as_b",
        help_text=_("The second response of a pairwise item; empty for likert items."),
    )
    batch = models.ForeignKey("Batch", on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Order of rating in the campaign."))
    quality_role = models.CharField(_("quality control role"), max_length=10, choices=QualityRole.choices,
                                    blank=True, default="")
    original = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="copies",
        help_text=_("An attention item: the item it is a degraded copy of; a gold copy: the gold item it copies."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quality_role__in=["", "gold", "attention"]),
                                   name="item_quality_role_known"),
            models.UniqueConstraint(
                fields=["campaign", "response"],
                condition=Q(response_b__isnull=True),
                name="item_unique_campaign_response",
            ),
            # One item per unordered pair: (A, B) and (B, A) records of a prompt are the same comparison.
            models.UniqueConstraint(
                F("campaign"), Least("response", "response_b"), Greatest("response", "response_b"),
                condition=Q(response_b__isnull=False),
                name="item_unique_campaign_unordered_pair",
            ),
            models.CheckConstraint(condition=~Q(response=F("response_b")), name="item_pair_distinct"),
        ]

    def __str__(self):
        return str(self.public_id)


class CampaignPrompt(models.Model):
    """A prompt a campaign asks models to answer (import_prompts), before any response to it is stored.

    The campaign's prompts are these and the prompts of its items' responses."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "prompt"], name="campaignprompt_unique_campaign_prompt"),
        ]

    def __str__(self):
        return f"{self.campaign_id}:{self.prompt_id}"


class CampaignMembership(models.Model):
    """Who belongs to a campaign, and as what. A lead manages it; annotators rate its items; a researcher
    granted access reads its report and its unpublished releases. Only members see the campaign at all
    (annotation.access)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        ANNOTATOR = "annotator", _("Annotator")
        RESEARCHER = "researcher", _("Researcher")
        ADJUDICATOR = "adjudicator", _("Adjudicator")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="membership_unique_campaign_user"),
        ]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.campaign}"


class Batch(models.Model):
    """A slice of a campaign's items, rated by the annotators it is assigned to."""

    class Order(models.TextChoices):
        RANDOM = "random", _("Seeded random")
        PROMPT = "prompt", _("By prompt")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField(_("number"))
    order = models.CharField(_("order"), max_length=20, choices=Order.choices, default=Order.RANDOM)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "number"]
        verbose_name_plural = _("batches")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="batch_unique_campaign_number"),
        ]

    def __str__(self):
        return f"{self.campaign.slug} #{self.number}"


class Assignment(models.Model):
    """An annotator's duty to rate every item of a batch."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REASSIGNED = "reassigned", _("Reassigned")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    assigned_at = models.DateTimeField(auto_now_add=True)
    reassigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "annotator"], name="assignment_unique_batch_annotator"),
        ]

    def __str__(self):
        return f"{self.batch} → {self.annotator}"


# A person's answer to an exam question, as Rating.verdict holds it: the choices picked (1-based), in the order
# given, comma-separated ("3", "5,3"). annotation.kinds.exam writes it.
EXAM_ANSWER_PATTERN = r"^[1-9][0-9]?(,[1-9][0-9]?)*$"


class Rating(models.Model):
    """One annotator's judgment of one item: scores as RatingScore rows, one per axis (likert), a verdict
    (pairwise), or an answer (exam: the choices picked, EXAM_ANSWER_PATTERN). Which one an item takes follows
    its campaign's rubric; the import services check it."""

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="ratings")
    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, related_name="ratings")
    verdict = models.CharField(
        _("verdict"), max_length=10, blank=True,
        help_text=_("Pairwise items: the verdict in the item's terms (A is the item's first response); exam "
                    "items: the choices picked, e.g. 3 or 5,3; empty for likert items."),
    )
    position = models.CharField(
        _("order shown"), max_length=2, choices=PairOrder.choices, blank=True,
        help_text=_("Pairwise items: the order the annotator saw the two responses in; empty when unknown "
                    "(imported ratings)."),
    )
    comment = models.TextField(_("comment"), blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    seconds_spent = models.PositiveIntegerField(_("seconds spent"), null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(auto_now_add=True)
    revised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="rating_unique_item_annotator"),
            models.UniqueConstraint(fields=["annotator", "idempotency_key"], name="rating_unique_idempotency_key"),
            models.CheckConstraint(
                condition=Q(verdict__in=["", *PairwiseVerdict.values]) | Q(verdict__regex=EXAM_ANSWER_PATTERN),
                name="rating_verdict_known",
            ),
            models.CheckConstraint(condition=Q(position__in=["", *PairOrder.values]), name="rating_position_known"),
        ]

    def __str__(self):
        return f"{self.annotator} on {self.item}"


class RatingScore(models.Model):
    """A score on one axis. A database trigger keeps it inside the axis range (annotation.score_checks)."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="scores")
    axis = models.ForeignKey(RubricAxis, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"))
    turn = models.PositiveSmallIntegerField(
        _("turn"), null=True, blank=True,
        help_text=_("The turn scored (1, 2, ...) in a campaign that scores each turn; empty for the whole "
                    "conversation."))

    class Meta:
        constraints = [
            # Coalesce: a null turn (the whole conversation) is one score per axis, not one per insert. The
            # expression index serves the (rating, axis) lookups as the plain one did (rating first).
            models.UniqueConstraint(F("rating"), F("axis"), Coalesce(F("turn"), 0),
                                    name="ratingscore_unique_rating_axis_turn"),
            models.CheckConstraint(condition=Q(turn__isnull=True) | Q(turn__gte=1), name="ratingscore_turn_from_one"),
        ]

    def __str__(self):
        return f"{self.axis.key}={self.score}" if self.turn is None else f"{self.axis.key}@{self.turn}={self.score}"


class RatingCheck(models.Model):
    """An annotator's answer to one checklist item of the rated prompt: ticked, or explicitly not.

    Ticks are optional: an item the annotator left alone has no row. On a pairwise item the annotator answers
    for each response separately, one row per side, ``side`` in the item's terms (A is item.response), whatever
    side of the page it was shown on. Pairwise rows with no side predate per-side ticks (the page then asked
    about "the response judged better"): kept as they were, reported as "side unknown".
    """

    class Side(models.TextChoices):
        NONE = "", _("no side (likert item, or side unknown)")
        A = "A", _("response A")
        B = "B", _("response B")

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="checks")
    checklist_item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="rating_checks")
    side = models.CharField(_("side"), max_length=1, blank=True, default="", choices=Side.choices,
                            help_text=_("Pairwise items: the response answered for, in the item's terms."))
    checked = models.BooleanField(_("ticked"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rating", "checklist_item", "side"],
                                    name="ratingcheck_unique_rating_item_side"),
            models.CheckConstraint(condition=models.Q(side__in=["", "A", "B"]), name="ratingcheck_side_known"),
        ]

    def __str__(self):
        side = f" {self.side}" if self.side else ""
        return f"{self.rating_id} {'✓' if self.checked else '✗'} {self.checklist_item_id}{side}"


class RatingRevision(models.Model):
    """An earlier version of a rating, kept when its annotator revises it."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveSmallIntegerField()
    scores = models.JSONField(help_text=_("Axis key → score, as they were."))
    verdict = models.CharField(max_length=10, blank=True, help_text=_("Pairwise items: the verdict, as it was."))
    checks = models.JSONField(
        default=dict, blank=True,
        help_text=_("Checklist item id → ticked (pairwise items: → {\"A\": ticked, \"B\": ticked}), as they were."),
    )
    comment = models.TextField(blank=True)
    flags = models.JSONField(default=list, blank=True)
    seconds_spent = models.PositiveIntegerField(null=True, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["rating", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "revision"], name="revision_unique_rating_revision"),
        ]

    def __str__(self):
        return f"{self.rating} r{self.revision}"


class ItemSlot(models.Model):
    """One of the k places for a rating of an item. Slots are how exactly-k is kept under concurrency.

    An item has exactly ``campaign.overlap`` slots. A slot is free (no annotator),
    held (an annotator, by assignment or by a lease until ``lease_expires_at``) or
    filled (a rating). At most one slot per item and annotator, and one rating per
    slot, are enforced by the database; claims lock the slot row (SKIP LOCKED).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveIntegerField(default=0, help_text=_("The item's position, for ordered hand-out."))
    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, null=True, blank=True, related_name="slots")
    assignment = models.ForeignKey(Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    rating = models.OneToOneField(Rating, on_delete=models.SET_NULL, null=True, blank=True, related_name="slot")
    extra = models.PositiveSmallIntegerField(
        default=0, help_text=_("0 for the item's k places; 1, 2, ... for the extra annotators its disagreement "
                               "called for (annotation.services.extra_raters)."),
    )

    class Meta:
        constraints = [
            # Extra slots are numbered 1, 2, ...: two transactions can never both add the same one.
            models.UniqueConstraint(fields=["item", "extra"], condition=Q(extra__gt=0), name="slot_unique_item_extra"),
            models.UniqueConstraint(
                fields=["item", "annotator"], condition=Q(annotator__isnull=False), name="slot_unique_item_annotator"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(annotator__isnull=False), name="slot_rating_has_annotator"
            ),
        ]
        indexes = [
            # Serves the pull query: the first open slot of a campaign in hand-out order.
            models.Index(fields=["campaign", "position"], condition=Q(rating__isnull=True), name="slot_open_by_position"),
            # Serves the per-annotator progress.
            models.Index(fields=["annotator", "campaign"], name="slot_by_annotator"),
            # Serves "my next held item": only held, unrated slots, however many an annotator has rated.
            models.Index(fields=["annotator", "campaign", "position"],
                         condition=Q(rating__isnull=True, annotator__isnull=False), name="slot_held_by_position"),
        ]

    def __str__(self):
        return f"slot of {self.item_id} for {self.annotator_id or '-'}"


class Adjudication(models.Model):
    """The final label an adjudicator gave an item whose ratings disagree, with a note: scores as
    AdjudicationScore rows (likert), a verdict in the item's terms (pairwise) or an answer (exam: the choices, as
    a rating's). One per item; recording another replaces it."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="adjudication")
    adjudicator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(
        _("verdict"), max_length=10, blank=True,
        help_text=_("Pairwise items: the verdict in the item's terms; exam items: the choices, e.g. 3 or 5,3; empty "
                    "for likert items."),
    )
    note = models.TextField(_("note"), blank=True)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(verdict__in=["", *PairwiseVerdict.values])
                                   | Q(verdict__regex=EXAM_ANSWER_PATTERN), name="adjudication_verdict_known"),
        ]

    def __str__(self):
        return f"adjudication of {self.item_id}"


class AdjudicationScore(models.Model):
    """The adjudicated score on one axis, checked against the axis range by the adjudication service."""

    adjudication = models.ForeignKey(Adjudication, on_delete=models.CASCADE, related_name="scores")
    axis = models.ForeignKey(RubricAxis, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adjudication", "axis"], name="adjudicationscore_unique_axis"),
        ]

    def __str__(self):
        return f"{self.axis_id}={self.score}"


class SlotTally(models.Model):
    """How many slots of a campaign an annotator holds (rated or not) and how many they have rated.

    Written only by database triggers on ItemSlot (annotation.slot_tally), so it follows every write to a
    slot; read where progress must be cheap (the hand-out of the next item).
    """

    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    slots = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["annotator", "campaign"], name="slottally_unique_annotator_campaign"),
        ]

    def __str__(self):
        return f"{self.annotator_id} in {self.campaign_id}: {self.rated}/{self.slots}"


class Draft(models.Model):
    """What an annotator has entered on an item but not submitted; saved as they go."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, related_name="drafts")
    scores = models.JSONField(default=dict, blank=True, help_text=_("Axis key → score, possibly incomplete."))
    verdict = models.CharField(max_length=10, blank=True, help_text=_("Pairwise items: the verdict chosen so far."))
    checks = models.JSONField(
        default=dict, blank=True,
        help_text=_("Checklist item id → ticked (pairwise items: → {\"A\": ticked, \"B\": ticked}), so far."),
    )
    comment = models.TextField(blank=True)
    flags = models.JSONField(default=list, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="draft_unique_item_annotator"),
        ]

    def __str__(self):
        return f"draft of {self.annotator} on {self.item_id}"


class Skip(models.Model):
    """An annotator's choice not to rate an item, with a reason; the item goes to someone else."""

    class Reason(models.TextChoices):
        CANNOT_JUDGE = "cannot_judge", _("I cannot judge this")
        BROKEN = "broken", _("The item is broken")
        OTHER = "other", _("Other")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="skips")
    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, related_name="skips")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="skip_unique_item_annotator"),
        ]

    def __str__(self):
        return f"{self.annotator} skipped {self.item_id}"


class GoldAnswer(models.Model):
    """The known answer of a gold item: a score per axis, each right within ``tolerance`` points, or a verdict.

    Set by the lead (the QC page, or import_gold). A gold item's copies (Item.original) share it."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="gold_answer")
    scores = models.JSONField(_("known scores"), default=dict, blank=True, help_text=_("Axis key → score."))
    tolerance = models.PositiveSmallIntegerField(
        _("tolerance"), default=0, help_text=_("A score this many points away from the known one still counts as right.")
    )
    verdict = models.CharField(_("known verdict"), max_length=10, choices=PairwiseVerdict.choices, blank=True)
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("Shown with the answer in training mode."))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"gold answer of {self.item_id}"


class GoldPauseLift(models.Model):
    """A lead's lifting of an annotator's pause: gold misses up to ``misses_forgiven`` no longer count toward
    the campaign's thresholds (annotation.quality_gates)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, related_name="+")
    misses_forgiven = models.PositiveIntegerField(default=0)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    lifted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "annotator"], name="goldpauselift_unique_campaign_annotator"),
        ]

    def __str__(self):
        return f"{self.annotator_id} in {self.campaign_id}: {self.misses_forgiven} forgiven"


class Upload(models.Model):
    """A file a lead uploaded from the browser or the API, and the lifecycle of its import.

    The file waits under the uploads folder until a worker imports it with the same service (and the same
    all-or-nothing rule) as the import command; it is deleted when the import ends. Only the services in
    annotation.services.uploads change ``status``.
    """

    class Kind(models.TextChoices):
        RESPONSES = "responses", _("Responses")
        RATINGS = "ratings", _("Ratings")
        VERDICTS = "verdicts", _("Judge verdicts")
        CHECKLISTS = "checklists", _("Checklists")
        RUBRIC = "rubric", _("Rubric")
        CHECKPOINT_SCORES = "checkpoint_scores", _("Checkpoint scores")
        EXAM = "exam", _("Exam questions")
        EXAM_FIGURES = "exam_figures", _("Exam figures (zip)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="uploads")
    file_name = models.CharField(_("file name"), max_length=255)  # as the uploader named it; errors name it
    path = models.CharField(max_length=500)  # where the file waits for its import
    size = models.BigIntegerField(_("size"))
    options = models.JSONField(default=dict, blank=True)  # tier, judge, pair, source, format, series, step
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    summary = models.TextField(_("summary"), blank=True)
    errors = models.JSONField(default=list, blank=True)  # the first bad records, FILE:LINE: field: reason
    error_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The campaign page lists a campaign's latest uploads.
        indexes = [models.Index(fields=["campaign", "-created_at"], name="upload_campaign_recent")]

    def __str__(self):
        return f"{self.kind} upload {self.file_name}"


class Exam(models.Model):
    """One exam of an exam campaign: a file of the center-examination-jp layout (its name without .json is the
    key), or one subject and year of the gakucho layout; with the students' average where a source gives it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="exams")
    key = models.CharField(_("exam id"), max_length=200)
    source = models.CharField(_("source"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    student_average = models.FloatField(
        _("students' average"), null=True, blank=True, help_text=_("On the exam's scale; empty when unknown.")
    )
    scale = models.FloatField(_("scale"), default=100, help_text=_("The score of a perfect paper."))
    license = models.CharField(
        _("source license"), max_length=100, blank=True,
        help_text=_("The license of the source the questions come from (e.g. cc-by-nc-4.0); empty when unknown. "
                    "A release carries it, and a non-commercial one forbids a permissive release license."),
    )

    class Meta:
        ordering = ["campaign", "key"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="exam_unique_campaign_key"),
            models.CheckConstraint(condition=Q(scale__gt=0), name="exam_scale_positive"),
            models.CheckConstraint(
                condition=Q(student_average__isnull=True) | Q(student_average__gte=0, student_average__lte=F("scale")),
                name="exam_student_average_on_scale",
            ),
        ]

    def __str__(self):
        return self.key


class ExamQuestion(models.Model):
    """A multiple-choice question of an exam: the question's item (what people answer on the rating page) and
    its prompt (what models are asked; the prompt's one turn is the question's text), with the choices, the
    correct answer, points, knowledge codes and figures, and the students' results where a source gives them.

    ``correct_answer`` holds 1-based choice numbers; an empty list is a question without a correct answer: kept
    and shown, counted as unscorable, never scored. ``answer_form`` says how several numbers compare: blanks
    in order, or a set ("choose the two wrong statements"); the sources do not say, so it is a setting.
    """

    class AnswerForm(models.TextChoices):
        SINGLE = "single", _("One choice")
        ORDERED = "ordered", _("Blanks in order")
        UNORDERED = "unordered", _("A set, in any order")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="exam_question")
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="exam_questions")
    question_id = models.CharField(_("question id"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Order in the exam."))
    label = models.CharField(_("label"), max_length=100, blank=True, help_text=_("The exam's own number, e.g. 問１."))
    choices = models.JSONField(_("choices"), encoder=UnicodeJSONEncoder, help_text=_("The choices' texts, in order."))
    choice_labels = models.JSONField(
        _("choice labels"), default=list, blank=True, encoder=UnicodeJSONEncoder,
        help_text=_("How the exam names its choices (ア, イ, ...); empty for numbers."),
    )
    correct_answer = models.JSONField(
        _("correct answer"), default=list, blank=True,
        help_text=_("1-based choice numbers; empty when the source gives none (unscorable)."),
    )
    answer_form = models.CharField(_("answer form"), max_length=10, choices=AnswerForm.choices,
                                   default=AnswerForm.SINGLE)
    points = models.PositiveSmallIntegerField(_("points"), null=True, blank=True)
    answer_type = models.CharField(_("answer type"), max_length=100, blank=True)
    knowledge_codes = models.JSONField(_("knowledge codes"), default=list, blank=True, encoder=UnicodeJSONEncoder)
    needs_figure = models.BooleanField(_("needs a figure"), default=False)
    figures = models.JSONField(
        _("figures"), default=list, blank=True, encoder=UnicodeJSONEncoder,
        help_text=_("File names in the campaign's figure folder, in the order shown."),
    )
    student_correct_rate = models.FloatField(
        _("students' correct rate"), null=True, blank=True, help_text=_("A share between 0 and 1.")
    )
    student_answers = models.JSONField(
        _("students' answers"), default=list, blank=True, encoder=UnicodeJSONEncoder,
        help_text=_('[{"answer": label or "other" or "none", "share": 0..1, "correct": true|false}]'),
    )

    class Meta:
        ordering = ["exam", "position"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "question_id"], name="examquestion_unique_exam_question"),
            models.CheckConstraint(
                condition=Q(student_correct_rate__isnull=True)
                | Q(student_correct_rate__gte=0, student_correct_rate__lte=1),
                name="examquestion_correct_rate_is_a_share",
            ),
        ]

    def __str__(self):
        return f"{self.exam_id}:{self.question_id}"

    @property
    def text(self):
        return self.prompt.first_turn

    @property
    def is_scorable(self):
        return bool(self.correct_answer)


class ExamAnswer(models.Model):
    """A model's answer to an exam question, read from its response (a generation, or an imported response):
    the choice numbers it gave, or a parse failure (no readable answer: counted, never a guess).

    ``examinee`` is the model that sat the exam; its samples share it (``sample`` 0, 1, ...), though each
    sample's response is stored under a model of its own (MODEL, MODEL#2, ...). A person's answer is their
    rating's verdict (EXAM_ANSWER_PATTERN), so drafts, revisions and exactly-k work as for every rating.
    """

    question = models.ForeignKey(ExamQuestion, on_delete=models.CASCADE, related_name="model_answers")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="exam_answers")
    examinee = models.ForeignKey(LanguageModel, on_delete=models.PROTECT, related_name="exam_answers")
    sample = models.PositiveSmallIntegerField(_("sample"), default=0)
    answer = models.JSONField(_("answer"), default=list, blank=True, help_text=_("1-based choice numbers."))
    parsed = models.BooleanField(_("parsed"), default=True, help_text=_("False: no readable answer."))
    figures_sent = models.BooleanField(_("figures sent"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "response"], name="examanswer_unique_question_response"),
            models.UniqueConstraint(fields=["question", "examinee", "sample"],
                                    name="examanswer_unique_question_examinee_sample"),
            models.CheckConstraint(condition=Q(parsed=True) | Q(answer=[]), name="examanswer_failure_has_no_answer"),
        ]

    def __str__(self):
        return f"{self.examinee_id}#{self.sample} on {self.question_id}: {self.answer or 'unparsed'}"


class ModelSeries(models.Model):
    """A model family and size evaluated at successive pretraining checkpoints. Each checkpoint is a
    LanguageModel (its ``series``, ``step`` and ``tokens``), so it can answer prompts and be rated like any
    other; the scores of the series per checkpoint and task are TaskScores, per example ExampleOutcomes."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    family = models.CharField(_("family"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=50, blank=True, help_text=_("For example 7B or 70B."))
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("model series")
        verbose_name_plural = _("model series")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("series_trajectory", args=[self.name])


class SeriesTask(models.Model):
    """A task (benchmark dataset) a series is scored on, or a category average when ``is_average``.

    ``example_ids`` orders the task's examples: the outcomes of every checkpoint are stored in that order
    (ExampleOutcomes), so that a trajectory reads one short row per checkpoint instead of one per example."""

    series = models.ForeignKey(ModelSeries, on_delete=models.CASCADE, related_name="tasks")
    key = models.CharField(_("task"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    is_average = models.BooleanField(_("category average"), default=False)
    example_ids = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)

    class Meta:
        ordering = ["series", "category", "key"]
        constraints = [models.UniqueConstraint(fields=["series", "key"], name="seriestask_unique_key")]

    def __str__(self):
        return f"{self.series_id}/{self.key}"


class TaskScore(models.Model):
    """A checkpoint's score on a task by one metric (as the evaluation harness reported it)."""

    model = models.ForeignKey(LanguageModel, on_delete=models.CASCADE, related_name="task_scores")
    task = models.ForeignKey(SeriesTask, on_delete=models.CASCADE, related_name="scores")
    metric = models.CharField(_("metric"), max_length=100)
    score = models.FloatField(_("score"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "metric", "model"], name="taskscore_unique")]

    def __str__(self):
        return f"{self.model_id} {self.task_id} {self.metric}={self.score}"


class ExampleOutcomes(models.Model):
    """A checkpoint's outcome on every example of a task, in the order of the task's ``example_ids``: one byte
    per example, 1 correct, 0 wrong, 255 not evaluated (annotation.trajectory.MISSING). ``predictions``, when the import gave
    them, are the answers in the same order (null where none)."""

    model = models.ForeignKey(LanguageModel, on_delete=models.CASCADE, related_name="example_outcomes")
    task = models.ForeignKey(SeriesTask, on_delete=models.CASCADE, related_name="outcomes")
    correct = models.BinaryField()
    predictions = models.JSONField(null=True, blank=True, encoder=UnicodeJSONEncoder)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "model"], name="exampleoutcomes_unique")]

    def __str__(self):
        return f"{self.model_id} {self.task_id}"


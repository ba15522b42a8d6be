import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.urls import reverse
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language model")

    def __str__(self):
        return self.name


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


class Response(models.Model):
    """One LanguageModel's answer to one Prompt, one text per turn."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="responses")
    model = models.ForeignKey(LanguageModel, on_delete=models.PROTECT, related_name="responses")
    turns = models.JSONField(
        _("turns"), encoder=UnicodeJSONEncoder, help_text=_("The answer to each user turn, as a list of strings.")
    )
    metadata = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prompt", "model"], name="response_unique_prompt_model"),
        ]

    def __str__(self):
        return f"{self.model} → {self.prompt}"


class Rubric(models.Model):
    """How items are judged. Immutable once any rating or verdict uses it."""

    class Kind(models.TextChoices):
        LIKERT = "likert", _("Likert scale")
        PAIRWISE = "pairwise", _("Pairwise comparison")

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LIKERT)
    description = models.TextField(_("description"), blank=True)
    verdicts = models.JSONField(
        _("verdict options"), default=list, blank=True, help_text=_("For pairwise rubrics, e.g. A, B, tie.")
    )
    is_builtin = models.BooleanField(_("built-in"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key


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


class Campaign(models.Model):
    """A rubric applied to a set of items, rated by k distinct annotators each."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="campaigns")
    overlap = models.PositiveSmallIntegerField(
        _("overlap k"), default=2, help_text=_("How many distinct annotators rate each item.")
    )
    class Mode(models.TextChoices):
        BATCHES = "batches", _("Batches assigned by the lead")
        PULL = "pull", _("Annotators pull the next item")

    show_model_names = models.BooleanField(_("show model names to annotators"), default=False)
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

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=2), name="campaign_overlap_at_least_two"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaign_detail", args=[self.slug])


class Item(models.Model):
    """The unit rated in a campaign: one response (likert), or an ordered pair (pairwise)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="items")
    response_b = models.ForeignKey(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="items_as_b",
        help_text=_("The second response of a pairwise item; empty for likert items."),
    )
    batch = models.ForeignKey("Batch", on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Order of rating in the campaign."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
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


class CampaignMembership(models.Model):
    """Who works on a campaign, and as what. A lead manages it; annotators rate its items."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        ANNOTATOR = "annotator", _("Annotator")

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


class Rating(models.Model):
    """One annotator's judgment of one item: scores as RatingScore rows, one per axis (likert), or a verdict
    (pairwise). Which one an item takes follows its campaign's rubric; the import services check it."""

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="ratings")
    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, related_name="ratings")
    verdict = models.CharField(
        _("verdict"), max_length=10, choices=PairwiseVerdict.choices, blank=True,
        help_text=_("Pairwise items: the verdict in the item's terms (A is the item's first response); "
                    "empty for likert items."),
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
                condition=Q(verdict__in=["", *PairwiseVerdict.values]), name="rating_verdict_known"
            ),
            models.CheckConstraint(condition=Q(position__in=["", *PairOrder.values]), name="rating_position_known"),
        ]

    def __str__(self):
        return f"{self.annotator} on {self.item}"


class RatingScore(models.Model):
    """A score on one axis. A database trigger keeps it inside the axis range (see migration 0002)."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="scores")
    axis = models.ForeignKey(RubricAxis, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rating", "axis"], name="ratingscore_unique_rating_axis"),
        ]

    def __str__(self):
        return f"{self.axis.key}={self.score}"


class RatingRevision(models.Model):
    """An earlier version of a rating, kept when its annotator revises it."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveSmallIntegerField()
    scores = models.JSONField(help_text=_("Axis key → score, as they were."))
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

    class Meta:
        constraints = [
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
            # Serves "my next held item" and the per-annotator progress.
            models.Index(fields=["annotator", "campaign"], name="slot_by_annotator"),
        ]

    def __str__(self):
        return f"slot of {self.item_id} for {self.annotator_id or '-'}"


class Draft(models.Model):
    """What an annotator has entered on an item but not submitted; saved as they go."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, related_name="drafts")
    scores = models.JSONField(default=dict, blank=True, help_text=_("Axis key → score, possibly incomplete."))
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

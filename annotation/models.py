import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Writes Japanese as it is, not as \\u escapes: half the bytes on the wire, and far faster bulk inserts."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


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
    show_model_names = models.BooleanField(_("show model names to annotators"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "response"],
                condition=Q(response_b__isnull=True),
                name="item_unique_campaign_response",
            ),
            models.UniqueConstraint(
                fields=["campaign", "response", "response_b"],
                condition=Q(response_b__isnull=False),
                name="item_unique_campaign_pair",
            ),
            models.CheckConstraint(condition=~Q(response=F("response_b")), name="item_pair_distinct"),
        ]

    def __str__(self):
        return str(self.public_id)


class Rating(models.Model):
    """One annotator's judgment of one item; its scores are RatingScore rows, one per axis."""

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="ratings")
    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, related_name="ratings")
    comment = models.TextField(_("comment"), blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    seconds_spent = models.PositiveIntegerField(_("seconds spent"), null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="rating_unique_item_annotator"),
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

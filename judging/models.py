from django.db import models
from django.utils.translation import gettext_lazy as _

from annotation.models import Item, Rubric, RubricAxis


class JudgeConfig(models.Model):
    """How an LLM judge is asked. An external judge only names the source of imported verdicts."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_external = models.BooleanField(
        _("external"), default=False, help_text=_("Its verdicts were imported from another tool.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("judge config")

    def __str__(self):
        return self.name


class Verdict(models.Model):
    """A judge's judgment of one item (one row per sample); its scores are VerdictScore rows."""

    class ParseStatus(models.TextChoices):
        OK = "ok", _("Parsed")
        IMPORTED = "imported", _("Imported")

    judge = models.ForeignKey(JudgeConfig, on_delete=models.PROTECT, related_name="verdicts")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="verdicts")
    sample = models.PositiveSmallIntegerField(_("sample"), default=0)
    rationale = models.TextField(_("rationale"), blank=True)
    raw_output = models.TextField(_("raw output"), blank=True)
    parse_status = models.CharField(max_length=20, choices=ParseStatus.choices, default=ParseStatus.OK)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["judge", "item", "sample"], name="verdict_unique_judge_item_sample"),
        ]

    def __str__(self):
        return f"{self.judge} on {self.item} #{self.sample}"


class VerdictScore(models.Model):
    """A judge's score on one axis, kept inside the axis range by a database trigger."""

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="scores")
    axis = models.ForeignKey(RubricAxis, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verdict", "axis"], name="verdictscore_unique_verdict_axis"),
        ]

    def __str__(self):
        return f"{self.axis.key}={self.score}"

"""The Django admin for judges and their verdicts, and for model endpoints and what they generated.

Verdicts are records of what a judge answered; like ratings they are read here, never
rewritten by hand. Changelists select related rows up front to stay at a fixed query count.
"""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from annotation.admin import ReadOnlyAdminMixin
from judging.forms import JudgeConfigAdminForm
from judging.models import (
    Generation, GenerationCall, GenerationJob, GenerationUnit, JudgeCacheEntry, JudgeCall, JudgeConfig, JudgeJob, JudgeUnit, ModelEndpoint, Verdict,
    VerdictCheck, VerdictScore,
)


@admin.register(JudgeConfig)
class JudgeConfigAdmin(admin.ModelAdmin):
    list_display = ["name", "rubric", "is_external", "created_at"]
    list_filter = ["is_external", "rubric"]
    list_select_related = ["rubric"]
    search_fields = ["name", "description"]
    # The same checks as the judge_config command and the pages; they pin the template version.
    form = JudgeConfigAdminForm
    readonly_fields = ["template_version"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class VerdictScoreInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = VerdictScore
    extra = 0
    fields = ["axis", "score"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("axis").order_by("axis__position")

class VerdictCheckInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = VerdictCheck
    extra = 0
    fields = ["checklist_item", "side", "checked"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checklist_item").order_by("checklist_item__position",
                                                                                        "side")


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "judge", "campaign", "language_model", "sample", "turn", "parse_status", "created_at"]
    list_filter = ["parse_status", "judge", "item__campaign"]
    list_select_related = ["judge", "item__campaign", "item__response__model"]
    search_fields = ["judge__name", "=item__public_id", "item__response__prompt__external_id", "rationale"]
    raw_id_fields = ["item"]
    inlines = [VerdictScoreInline, VerdictCheckInline]

    @admin.display(description=_("campaign"), ordering="item__campaign__name")
    def campaign(self, verdict):
        return verdict.item.campaign

    @admin.display(description=_("model"), ordering="item__response__model__name")
    def language_model(self, verdict):
        return verdict.item.response.model


@admin.register(VerdictScore)
class VerdictScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["verdict", "axis", "score"]
    list_filter = ["axis__rubric", "axis__key"]
    list_select_related = ["verdict__judge", "verdict__item", "axis__rubric"]
    search_fields = ["verdict__judge__name", "=verdict__item__public_id"]
    raw_id_fields = ["verdict"]

@admin.register(VerdictCheck)
class VerdictCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["verdict", "checklist_item", "side", "checked"]
    list_filter = ["checked", "side"]
    list_select_related = ["verdict__judge", "verdict__item", "checklist_item"]
    search_fields = ["verdict__judge__name", "=verdict__item__public_id", "checklist_item__text"]
    raw_id_fields = ["verdict", "checklist_item"]


@admin.register(JudgeJob)
class JudgeJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Jobs change state through their pages and commands (start, pause, resume, cancel), not here."""

    list_display = ["public_id", "campaign", "config", "status", "total", "created_at", "finished_at"]
    list_filter = ["status", "config"]
    list_select_related = ["campaign", "config"]
    search_fields = ["=public_id", "campaign__slug", "config__name"]


@admin.register(JudgeUnit)
class JudgeUnitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "item", "order", "turn", "sample", "status", "lease_expires_at"]
    list_filter = ["status"]
    list_select_related = ["job__campaign", "job__config", "item"]
    search_fields = ["=job__public_id", "=item__public_id"]
    raw_id_fields = ["job", "item"]


@admin.register(JudgeCall)
class JudgeCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "item", "order", "turn", "sample", "attempt", "outcome", "http_status", "cached", "tokens_in",
                    "tokens_out", "latency_ms", "cost", "created_at"]
    list_filter = ["outcome", "cached"]
    list_select_related = ["job__campaign", "job__config", "item"]
    search_fields = ["=job__public_id", "=item__public_id", "message"]
    raw_id_fields = ["job", "item"]


@admin.register(JudgeCacheEntry)
class JudgeCacheEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "model", "finish_reason", "tokens_in", "tokens_out", "created_at"]
    search_fields = ["=key", "model"]


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Endpoints are made and changed through their pages, the API and ``model_endpoint`` (one validation)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    list_display = ["name", "language_model", "model", "base_url", "samples", "concurrency", "budget"]
    list_select_related = ["language_model"]
    search_fields = ["name", "model", "language_model__name"]


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Jobs change state through their pages and commands (start, pause, resume, cancel), not here."""

    list_display = ["public_id", "campaign", "endpoint", "status", "total", "created_at", "finished_at"]
    list_filter = ["status", "endpoint"]
    list_select_related = ["campaign", "endpoint"]
    search_fields = ["=public_id", "campaign__slug", "endpoint__name"]


@admin.register(Generation)
class GenerationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each response a job made, with its provenance, and each typed failure."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    list_display = ["job", "prompt", "sample", "status", "model_at_endpoint", "tokens_in", "tokens_out",
                    "latency_ms", "cost", "created_at"]
    list_filter = ["status"]
    list_select_related = ["job__campaign", "job__endpoint", "prompt"]
    search_fields = ["=job__public_id", "prompt__external_id", "error_message"]
    raw_id_fields = ["job", "prompt", "response"]


@admin.register(GenerationUnit)
class GenerationUnitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "prompt", "sample", "round", "status", "lease_expires_at"]
    list_filter = ["status"]
    list_select_related = ["job__campaign", "job__endpoint", "prompt"]
    search_fields = ["=job__public_id", "prompt__external_id"]
    raw_id_fields = ["job", "prompt"]


@admin.register(GenerationCall)
class GenerationCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "prompt", "sample", "turn", "attempt", "outcome", "http_status", "cached", "tokens_in",
                    "tokens_out", "latency_ms", "cost", "created_at"]
    list_filter = ["outcome", "cached"]
    list_select_related = ["job__campaign", "job__endpoint", "prompt"]
    search_fields = ["=job__public_id", "prompt__external_id", "message"]
    raw_id_fields = ["job", "prompt"]

"""The Django admin for the annotation domain.

Changelists select their related rows up front (list_select_related), so a page of
100 ratings costs the same few queries as a page of 1. Foreign keys to the big
tables (prompts, responses, items) are raw ids: a select box would load them all.
Items, ratings and verdicts are records of what was imported and judged, and batches,
assignments and slots are kept consistent by the workflow services (exactly k
annotators per item): the admin shows them and never writes them by hand.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from annotation.errors import HyokaError
from annotation.exam_answers import check_form
from annotation.models import (
    Adjudication,
    AdjudicationScore,
    Annotator,
    Assignment,
    Batch,
    Campaign,
    CampaignMembership,
    CampaignPrompt,
    ChecklistItem,
    Draft,
    Exam,
    ExamAnswer,
    ExamQuestion,
    ExampleOutcomes,
    GoldAnswer,
    GoldPauseLift,
    Item,
    ItemSlot,
    LanguageModel,
    ModelSeries,
    Prompt,
    Rating,
    RatingRevision,
    RatingCheck,
    RatingScore,
    Response,
    Rubric,
    RubricAxis,
    SeriesTask,
    Skip,
    SlotTally,
    TaskScore,
    Upload,
)
from annotation.selectors import rubric_is_locked


class ReadOnlyAdminMixin:
    """Shown, never written by hand: these rows come from imports and services, which keep them consistent."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LockedRubricMixin:
    """No changes to a rubric that is built in or used by ratings or verdicts (as import_rubric refuses)."""

    def rubric_of(self, obj):
        raise NotImplementedError

    def is_locked(self, obj):
        rubric = self.rubric_of(obj)
        if rubric is None:
            return False
        # The admin asks several has_*_permission questions per page; answer from one query.
        if not hasattr(rubric, "_hyoka_locked"):
            rubric._hyoka_locked = rubric_is_locked(rubric)
        return rubric._hyoka_locked

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.is_locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.is_locked(obj)


@admin.register(LanguageModel)
class LanguageModelAdmin(admin.ModelAdmin):
    list_display = ["name", "family", "size", "is_japanese", "created_at"]
    list_filter = ["is_japanese", "family"]
    search_fields = ["name", "family", "checkpoint"]


class ChecklistItemInline(admin.TabularInline):
    """A prompt's checklist; answered items cannot be deleted (their ticks protect them)."""

    model = ChecklistItem
    fields = ["position", "text", "origin", "generated_by"]
    readonly_fields = ["origin", "generated_by"]
    extra = 0


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "category", "first_turn_excerpt", "created_at"]
    list_filter = ["source", "category"]
    search_fields = ["external_id", "source", "category", "=public_id"]
    readonly_fields = ["public_id"]
    inlines = [ChecklistItemInline]

    @admin.display(description=_("first turn"))
    def first_turn_excerpt(self, prompt):
        return _excerpt(prompt.first_turn)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["public_id", "model", "prompt", "created_at"]
    list_filter = ["model"]
    list_select_related = ["model", "prompt"]
    search_fields = ["prompt__external_id", "model__name", "=public_id"]
    raw_id_fields = ["prompt"]
    readonly_fields = ["public_id"]


class RubricAxisInline(LockedRubricMixin, admin.StackedInline):
    model = RubricAxis
    extra = 0
    ordering = ["position"]

    def rubric_of(self, obj):
        return obj  # an inline is asked about its parent rubric

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self.is_locked(obj)


@admin.register(Rubric)
class RubricAdmin(LockedRubricMixin, admin.ModelAdmin):
    list_display = ["key", "name", "kind", "is_builtin", "axis_count", "created_at"]
    list_filter = ["kind", "is_builtin"]
    search_fields = ["key", "name"]
    inlines = [RubricAxisInline]

    def rubric_of(self, obj):
        return obj

    def get_actions(self, request):
        # Bulk deletion would skip the per-rubric lock; delete one unlocked rubric at a time instead.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(axis_count=Count("axes"))

    @admin.display(description=_("axes"), ordering="axis_count")
    def axis_count(self, rubric):
        return rubric.axis_count


@admin.register(RubricAxis)
class RubricAxisAdmin(LockedRubricMixin, admin.ModelAdmin):
    list_display = ["__str__", "label_ja", "label_en", "min_score", "max_score", "position"]
    list_filter = ["rubric"]
    list_select_related = ["rubric"]
    search_fields = ["key", "label_ja", "label_en", "rubric__key"]

    def rubric_of(self, obj):
        return obj.rubric if obj is not None else None


@admin.register(Annotator)
class AnnotatorAdmin(admin.ModelAdmin):
    list_display = ["handle", "user", "tier", "is_external", "source", "created_at"]
    list_filter = ["tier", "is_external"]
    list_select_related = ["user"]
    search_fields = ["handle", "user__username", "user__email", "source", "=pseudonym"]
    raw_id_fields = ["user"]
    readonly_fields = ["pseudonym"]


class CampaignMembershipInline(admin.TabularInline):
    model = CampaignMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "rubric", "status", "mode", "overlap", "show_model_names", "created_at"]
    list_filter = ["status", "mode", "rubric"]
    list_select_related = ["rubric"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["created_by"]
    inlines = [CampaignMembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # Once items exist, their ratings and slots depend on the rubric's axes and on k.
        if obj is not None and obj.items.exists():
            return ["rubric", "overlap"]
        return []


@admin.register(CampaignMembership)
class CampaignMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "campaign", "role", "created_at"]
    list_filter = ["role", "campaign"]
    list_select_related = ["user", "campaign"]
    search_fields = ["user__username", "user__email", "campaign__slug", "campaign__name"]
    raw_id_fields = ["user"]


@admin.register(CampaignPrompt)
class CampaignPromptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Prompts listed for generation (import_prompts)."""

    list_display = ["campaign", "prompt"]
    list_select_related = ["campaign", "prompt"]
    search_fields = ["campaign__slug", "prompt__external_id"]
    raw_id_fields = ["prompt"]


class AssignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["annotator", "status", "assigned_at", "reassigned_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("annotator")


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "campaign", "number", "order", "item_count", "closed_at", "created_at"]
    list_filter = ["campaign", "order"]
    list_select_related = ["campaign"]
    search_fields = ["campaign__slug", "=public_id"]
    inlines = [AssignmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description=_("items"), ordering="item_count")
    def item_count(self, batch):
        return batch.item_count


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "annotator", "status", "assigned_at", "reassigned_at"]
    list_filter = ["status", "batch__campaign"]
    list_select_related = ["batch__campaign", "annotator"]
    search_fields = ["annotator__handle", "batch__campaign__slug", "=public_id"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["public_id", "campaign", "prompt", "language_model", "model_b", "batch", "position"]
    list_filter = ["campaign"]
    list_select_related = ["campaign", "response__prompt", "response__model", "response_b__model", "batch__campaign"]
    search_fields = ["=public_id", "response__prompt__external_id", "response__model__name"]
    raw_id_fields = ["response", "response_b", "batch"]

    @admin.display(description=_("prompt"), ordering="response__prompt__external_id")
    def prompt(self, item):
        return item.response.prompt

    @admin.display(description=_("model"), ordering="response__model__name")
    def language_model(self, item):
        return item.response.model

    @admin.display(description=_("model B"))
    def model_b(self, item):
        return item.response_b.model if item.response_b_id else "—"


class RatingScoreInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RatingScore
    extra = 0
    fields = ["axis", "score"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("axis").order_by("axis__position")

@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["public_id", "campaign", "annotator", "language_model", "prompt", "source", "submitted_at"]
    list_filter = ["source", "item__campaign", "annotator__is_external"]
    list_select_related = ["item__campaign", "item__response__model", "item__response__prompt", "annotator"]
    search_fields = ["=public_id", "annotator__handle", "item__response__prompt__external_id", "comment"]
    raw_id_fields = ["item", "annotator"]
    date_hierarchy = "submitted_at"
    inlines = [RatingScoreInline]

    @admin.display(description=_("campaign"), ordering="item__campaign__name")
    def campaign(self, rating):
        return rating.item.campaign

    @admin.display(description=_("model"), ordering="item__response__model__name")
    def language_model(self, rating):
        return rating.item.response.model

    @admin.display(description=_("prompt"))
    def prompt(self, rating):
        return rating.item.response.prompt


@admin.register(RatingScore)
class RatingScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["rating", "axis", "score"]
    list_filter = ["axis__rubric", "axis__key"]
    list_select_related = ["rating__annotator", "rating__item", "axis__rubric"]
    search_fields = ["rating__annotator__handle", "=rating__public_id"]
    raw_id_fields = ["rating"]

class AdjudicationScoreInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AdjudicationScore
    extra = 0
    fields = ["axis", "score"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("axis").order_by("axis__position")


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Final labels recorded by adjudicators (on the adjudication pages); shown, never edited here."""

    list_display = ["item", "campaign", "adjudicator", "verdict", "decided_at"]
    list_filter = ["item__campaign"]
    list_select_related = ["item__campaign", "adjudicator"]
    search_fields = ["=item__public_id", "adjudicator__username", "item__response__prompt__external_id", "note"]
    raw_id_fields = ["item", "adjudicator"]
    inlines = [AdjudicationScoreInline]

    @admin.display(description=_("campaign"), ordering="item__campaign__name")
    def campaign(self, adjudication):
        return adjudication.item.campaign


@admin.register(AdjudicationScore)
class AdjudicationScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["adjudication", "axis", "score"]
    list_filter = ["axis__rubric", "axis__key"]
    list_select_related = ["adjudication", "axis__rubric"]
    search_fields = ["=adjudication__item__public_id"]
    raw_id_fields = ["adjudication"]


@admin.register(SlotTally)
class SlotTallyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Counts kept by database triggers; shown to check progress, never edited."""

    list_display = ["annotator", "campaign", "rated", "slots"]
    list_filter = ["campaign"]
    list_select_related = ["annotator", "campaign"]
    search_fields = ["annotator__handle", "campaign__slug"]


@admin.register(RatingCheck)
class RatingCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["rating", "checklist_item", "side", "checked"]
    list_filter = ["checked", "side"]
    list_select_related = ["rating__annotator", "rating__item", "checklist_item"]
    search_fields = ["rating__annotator__handle", "=rating__public_id", "checklist_item__prompt__external_id"]
    raw_id_fields = ["rating", "checklist_item"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["prompt", "position", "text", "origin", "generated_by"]
    list_filter = ["origin"]
    list_select_related = ["prompt"]
    search_fields = ["prompt__external_id", "text", "generated_by"]
    raw_id_fields = ["prompt"]
    readonly_fields = ["origin", "generated_by"]


@admin.register(RatingRevision)
class RatingRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "revision", "submitted_at"]
    list_select_related = ["rating__annotator", "rating__item"]
    search_fields = ["rating__annotator__handle", "=rating__public_id"]


@admin.register(ItemSlot)
class ItemSlotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "campaign", "annotator", "assignment", "lease_expires_at", "rating"]
    list_filter = ["campaign"]
    list_select_related = [
        "item", "campaign", "annotator", "assignment__batch__campaign", "assignment__annotator",
        "rating__annotator", "rating__item",
    ]
    search_fields = ["=item__public_id", "annotator__handle"]


@admin.register(Draft)
class DraftAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "annotator", "seconds_spent", "updated_at"]
    list_select_related = ["annotator"]
    search_fields = ["annotator__handle", "=item__public_id"]


@admin.register(Skip)
class SkipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "annotator", "reason", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["annotator"]
    search_fields = ["annotator__handle", "=item__public_id", "note"]


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["file_name", "kind", "campaign", "status", "error_count", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["campaign", "created_by"]
    search_fields = ["file_name", "campaign__slug", "=public_id"]


def _excerpt(text, length=60):
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ["key", "campaign", "subject", "year", "student_average", "scale"]
    list_select_related = ["campaign"]
    list_filter = ["campaign"]
    search_fields = ["key", "subject"]


class ExamQuestionForm(forms.ModelForm):
    """The answer form a lead sets must fit the question's correct answer (annotation.exam_answers.check_form, as
    an import's record is checked): one choice is "single", two or more are blanks in order or a set."""

    class Meta:
        model = ExamQuestion
        fields = ["answer_form"]

    def clean_answer_form(self):
        form = self.cleaned_data["answer_form"]
        try:
            return check_form(form, self.instance.correct_answer)
        except HyokaError as error:
            raise forms.ValidationError(error.reason) from None


@admin.register(ExamQuestion)
class ExamQuestionAdmin(admin.ModelAdmin):
    """A lead sets a multi-answer question's answer form here (the sources do not say it); the rest is as
    imported."""

    form = ExamQuestionForm

    list_display = ["question_id", "exam", "label", "correct_answer", "answer_form", "points", "needs_figure"]
    list_filter = ["answer_form", "needs_figure", "exam__campaign"]
    list_select_related = ["exam"]
    search_fields = ["question_id", "exam__key"]
    fields = ["exam", "question_id", "label", "choices", "choice_labels", "correct_answer", "answer_form", "points",
              "answer_type", "knowledge_codes", "needs_figure", "figures", "student_correct_rate", "student_answers"]
    readonly_fields = [name for name in fields if name != "answer_form"]


@admin.register(ExamAnswer)
class ExamAnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["question", "examinee", "sample", "answer", "parsed", "figures_sent", "created_at"]
    list_filter = ["parsed", "figures_sent", "examinee"]
    list_select_related = ["examinee", "question"]


# Quality control: gold answers are set on the QC page or with import_gold, pauses lifted there; shown here.


@admin.register(GoldAnswer)
class GoldAnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "scores", "verdict", "tolerance", "created_at"]
    list_select_related = ["item__campaign"]
    list_filter = ["item__campaign"]
    raw_id_fields = ["item"]
    search_fields = ["item__campaign__slug", "item__response__prompt__external_id", "explanation"]


@admin.register(GoldPauseLift)
class GoldPauseLiftAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["campaign", "annotator", "misses_forgiven", "lifted_by", "lifted_at"]
    list_select_related = ["campaign", "annotator", "lifted_by"]
    search_fields = ["campaign__slug", "annotator__handle"]


# Model series: made by import_checkpoint_scores or on the series pages; their scores are imported records.


@admin.register(ModelSeries)
class ModelSeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "family", "size", "created_at"]
    search_fields = ["name", "family"]
    readonly_fields = ["created_by"]


@admin.register(SeriesTask)
class SeriesTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "series", "category", "is_average"]
    list_select_related = ["series"]
    list_filter = ["series", "is_average"]
    search_fields = ["key", "category"]
    exclude = ["example_ids"]  # thousands of ids: the releases and the API carry them


@admin.register(TaskScore)
class TaskScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "model", "metric", "score"]
    list_select_related = ["task__series", "model"]
    list_filter = ["task__series"]
    search_fields = ["task__key", "model__name"]


@admin.register(ExampleOutcomes)
class ExampleOutcomesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "model"]
    list_select_related = ["task__series", "model"]
    list_filter = ["task__series"]
    search_fields = ["task__key", "model__name"]
    exclude = ["correct", "predictions"]  # one byte per example: read them through the trajectory report

"""The shapes of the rating API's answers that selectors build as plain dicts, for the OpenAPI schema.

``item_for_rating`` (and the hot path's next-item answer, annotation.hot_paths) build the item,
``campaign_progress`` the lead's progress table; the views return those dicts as they are. These
serializers only document them: tests/test_schema.py checks real answers against the schema.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotation.kinds import KINDS


@extend_schema_field({
    "type": "object",
    "additionalProperties": {"oneOf": [
        {"type": "integer", "nullable": True, "description": "axis key → score"},
        {"type": "object", "additionalProperties": {"type": "integer", "nullable": True},
         "description": "in a campaign that scores each turn: turn (\"1\", \"2\", ...) → {axis key → score}"},
    ]},
})
class ScoresField(serializers.JSONField):
    """A likert answer's scores: axis key → score, or per turn, turn → {axis key → score}; checked by the
    service (workflow.clean_scores), which knows the campaign and the item's turns."""

class ItemPromptSerializer(serializers.Serializer):
    turns = serializers.ListField(child=serializers.CharField(allow_blank=True), help_text="The user turns, in order.")
    context = serializers.CharField(allow_blank=True, help_text="An audience or style constraint; empty when none.")
    category = serializers.CharField(allow_blank=True)


class ShownResponseSerializer(serializers.Serializer):
    turns = serializers.ListField(child=serializers.CharField(allow_blank=True),
                                  help_text="The model's answer, one text per turn.")
    model = serializers.CharField(allow_null=True, help_text="The model's name when the campaign shows it, else null.")


class RubricAxisSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="In the language asked for (lang, else the page's).")
    criterion = serializers.CharField(allow_blank=True)
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    points = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                   help_text="Score → what it means, for the scores that have a descriptor.")


class VerdictOptionSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What to send as verdict: left, right, tie, both or neither.")
    label = serializers.CharField()
    label_narrow = serializers.CharField(help_text="A shorter label, for narrow screens.")


class ExamChoiceSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="What to send in verdict (1-based).")
    label = serializers.CharField(help_text="How the exam names the choice: ①, ア, ...")
    text = serializers.CharField(allow_blank=True)


class ExamQuestionShownSerializer(serializers.Serializer):
    label = serializers.CharField(allow_blank=True, help_text="The exam's own number of the question, e.g. 問１.")
    choices = ExamChoiceSerializer(many=True)
    figures = serializers.ListField(child=serializers.CharField(), help_text=(
        "The figures' file names, in order, served at /campaigns/<slug>/figures/<name>."))
    answers = serializers.IntegerField(help_text="How many choices to pick: send them comma-separated in verdict.")


class ChecklistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The key to answer it by in checks.")
    text = serializers.CharField()


CHECKS_SHOWN_HELP = ("Checklist item id → ticked; on a pairwise item, id → {\"left\": ..., \"right\": ...}, "
                     "as shown on screen.")


class ItemDraftSerializer(serializers.Serializer):
    scores = ScoresField(help_text="Axis key → score, the axes scored so far; in a campaign that scores "
                                             "each turn, turn (\"1\", \"2\", ...) → {axis key → score}.")
    verdict = serializers.CharField(allow_blank=True, help_text="Pairwise items: the verdict in screen terms.")
    checks = serializers.JSONField(help_text=CHECKS_SHOWN_HELP)
    comment = serializers.CharField(allow_blank=True)
    flags = serializers.ListField(child=serializers.CharField())
    seconds_spent = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class ItemRatingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    revision = serializers.IntegerField()
    scores = ScoresField(help_text="Axis key → score; per turn, turn → {axis key → score}.")
    verdict = serializers.CharField(allow_blank=True, help_text="Pairwise items: the verdict in screen terms.")
    checks = serializers.JSONField(help_text=CHECKS_SHOWN_HELP)
    comment = serializers.CharField(allow_blank=True)
    flags = serializers.ListField(child=serializers.CharField())


class MyProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Items of this campaign I have rated.")
    total = serializers.IntegerField(help_text="Items of this campaign I hold.")


class ItemSerializer(serializers.Serializer):
    """An item as the rating page shows it, with my draft or rating; never others' ratings or judge verdicts."""

    id = serializers.UUIDField()
    campaign = serializers.CharField(help_text="The campaign's slug.")
    kind = serializers.ChoiceField(choices=list(KINDS), help_text="The campaign's kind.")
    batch = serializers.IntegerField(allow_null=True, help_text="The batch's number, null before batches are cut.")
    batch_closed = serializers.BooleanField(help_text="A closed batch's ratings are final.")
    position = serializers.IntegerField()
    prompt = ItemPromptSerializer()
    response = ShownResponseSerializer(allow_null=True, help_text="Likert items; null on pairwise ones.")
    left = ShownResponseSerializer(allow_null=True, help_text="Pairwise items: the response shown on the left.")
    right = ShownResponseSerializer(allow_null=True, help_text="Pairwise items: the response shown on the right.")
    axes = RubricAxisSerializer(many=True, help_text="The rubric's axes, to score on likert items.")
    score_turns = serializers.IntegerField(
        allow_null=True, help_text="A campaign that scores each turn: the turns to score, every axis once per turn "
                                   "(scores as turn → {axis → score}); null: one score per axis.")
    verdicts = VerdictOptionSerializer(
        many=True, help_text="Pairwise items: the verdicts to choose from (left, right, then tie / both / neither).")
    exam = ExamQuestionShownSerializer(allow_null=True, help_text="Exam items: the question's choices and figures.")
    checklist = ChecklistEntrySerializer(many=True, help_text="The prompt's checklist, in order.")
    draft = ItemDraftSerializer(allow_null=True)
    rating = ItemRatingSerializer(allow_null=True, help_text="My latest revision, once submitted.")
    progress = MyProgressSerializer()


class ProgressGroupSerializer(serializers.Serializer):
    key = serializers.JSONField(help_text="The annotator's handle (\"(unassigned)\" for free slots), the batch "
                                          "number (null for unbatched items) or the model name.")
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    skips = serializers.IntegerField()
    flags = serializers.IntegerField(help_text="Ratings that raised a flag.")
    median_seconds = serializers.FloatField(allow_null=True, help_text="Null before any rating with a time.")


class CampaignProgressSerializer(serializers.Serializer):
    overlap = serializers.IntegerField(help_text="k, the distinct annotators each item is to get.")
    slots = serializers.IntegerField(help_text="Ratings the items are to get, one slot each.")
    rated = serializers.IntegerField()
    by_annotator = ProgressGroupSerializer(many=True)
    by_batch = ProgressGroupSerializer(many=True)
    by_model = ProgressGroupSerializer(many=True)

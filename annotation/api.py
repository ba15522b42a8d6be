"""REST API of the rating workflow. Thin classes: check input, call one service, shape the output."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import get_language, gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from annotation.models import Batch, Campaign, Skip
from annotation.selectors import user_is_annotator
from annotation.serializers import CampaignProgressSerializer, ItemSerializer
from annotation.services import workflow
from annotation.workflow_selectors import campaign_progress, item_for_rating, my_work


VERDICT_HELP = "Pairwise items: left, right, or one of the rubric's tie / both / neither, as shown on screen."
FLAGS_HELP = f"Any of {', '.join(workflow.FLAGS)}."
CHECKS_HELP = ("Checklist item id → ticked (true) or not (false); on a pairwise item, id → {\"left\": ..., "
               "\"right\": ...}, an answer for each response as shown on screen. Leave an item or a side out, or "
               "null, to leave it unanswered.")


def language_of(request):
    return request.query_params.get("lang") or get_language() or "ja"


class MyWorkApi(APIView):
    @extend_schema_serializer(component_name="MyCampaign")
    class OutputSerializer(serializers.Serializer):
        campaign = serializers.CharField(source="campaign.slug")
        name = serializers.CharField(source="campaign.name")
        mode = serializers.CharField(source="campaign.mode")
        status = serializers.CharField(source="campaign.status")
        done = serializers.IntegerField()
        total = serializers.IntegerField()
        batches = serializers.ListField(child=serializers.IntegerField(),
                                        help_text="Numbers of the batches assigned to me.")

    @extend_schema(responses=OutputSerializer(many=True), summary="My campaigns and progress")
    def get(self, request):
        if not user_is_annotator(request.user):
            raise PermissionDenied(_("Only annotators have work to do here."))  # as on the "my work" page
        annotator = access.annotator_of(request.user)
        rows = my_work(annotator, list(access.annotated_campaigns(request.user))) if annotator else []
        return Response(self.OutputSerializer(rows, many=True).data)


class NextItemApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: ItemSerializer,
            204: OpenApiResponse(description="Nothing to rate now: no unrated item in my hands and, in pull mode, "
                                             "none free to claim."),
        },
        summary="Take the next item to rate (the one I hold, else in pull mode a newly claimed one)",
    )
    def post(self, request, slug):
        campaign, annotator = access.campaign_for_annotator(request.user, slug)
        item = workflow.item_next(annotator=annotator, campaign=campaign)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(item_for_rating(item, annotator, language_of(request)))


class ItemApi(APIView):
    @extend_schema(responses=ItemSerializer, summary="One of my items, with my draft or rating")
    def get(self, request, public_id):
        item, annotator = access.item_for_annotator(request.user, public_id)
        return Response(item_for_rating(item, annotator, language_of(request)))


class DraftApi(APIView):
    @extend_schema_serializer(component_name="DraftSave")
    class InputSerializer(serializers.Serializer):
        scores = serializers.DictField(child=serializers.IntegerField(allow_null=True), required=False, default=dict,
                                       help_text="Likert items: axis key → score, the axes scored so far (null: "
                                                 "not scored).")
        verdict = serializers.CharField(required=False, allow_blank=True, default="", help_text=VERDICT_HELP)
        checks = serializers.JSONField(required=False, default=dict, help_text=CHECKS_HELP)
        comment = serializers.CharField(required=False, allow_blank=True, default="")
        flags = serializers.ListField(child=serializers.CharField(), required=False, default=list, help_text=FLAGS_HELP)
        seconds_spent = serializers.IntegerField(required=False, min_value=0, default=0)

    @extend_schema(request=InputSerializer, responses={204: None}, summary="Save my draft of an item")
    def put(self, request, public_id):
        item, annotator = access.item_for_annotator(request.user, public_id)
        data = self._valid(request)
        workflow.draft_save(annotator=annotator, item=item, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _valid(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RatingApi(APIView):
    @extend_schema_serializer(component_name="RatingSubmit")
    class InputSerializer(serializers.Serializer):
        scores = serializers.DictField(child=serializers.IntegerField(allow_null=True), required=False, default=dict,
                                       help_text="Likert items (required there): axis key → score, every axis of "
                                                 "the rubric, each within the axis's min..max.")
        verdict = serializers.CharField(required=False, allow_blank=True, default="",
                                        help_text=VERDICT_HELP + " Required on pairwise items.")
        checks = serializers.JSONField(required=False, default=dict, help_text=CHECKS_HELP)
        idempotency_key = serializers.UUIDField(help_text="A new UUID per submit; a retry repeats it.")
        comment = serializers.CharField(required=False, allow_blank=True, default="")
        flags = serializers.ListField(child=serializers.CharField(), required=False, default=list, help_text=FLAGS_HELP)
        seconds_spent = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)

    @extend_schema_serializer(component_name="RatingSubmitted")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="public_id", help_text="The rating's id, the same for every revision.")
        revision = serializers.IntegerField(help_text="1 for a first submit, then 2, 3, ... for revisions.")
        created = serializers.BooleanField(help_text="False when the idempotency key was seen before (a retry).")

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(OutputSerializer, description="Stored: a first rating or a new revision."),
            200: OpenApiResponse(OutputSerializer, description="A retry of a submit already stored (the same "
                                                               "idempotency key): nothing changed."),
        },
        summary="Submit (or revise) my rating of an item; idempotent on idempotency_key",
    )
    def post(self, request, public_id):
        item, annotator = access.item_for_annotator(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating, created = workflow.rating_submit(annotator=annotator, item=item, **serializer.validated_data)
        rating.created = created
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.OutputSerializer(rating).data, status=code)


class SkipApi(APIView):
    @extend_schema_serializer(component_name="ItemSkip")
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=Skip.Reason.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={204: None}, summary="Skip an item, with a reason")
    def post(self, request, public_id):
        item, annotator = access.item_for_annotator(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workflow.item_skip(annotator=annotator, item=item, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Leads ---------------------------------------------------------------------------------------------------

class BatchesApi(APIView):
    @extend_schema_serializer(component_name="BatchCut")
    class InputSerializer(serializers.Serializer):
        size = serializers.IntegerField(min_value=1, max_value=100000)
        order = serializers.ChoiceField(choices=Batch.Order.choices, default=Batch.Order.RANDOM)
        seed = serializers.IntegerField(required=False, allow_null=True, default=None)
        raters = serializers.ChoiceField(
            choices=workflow.Raters.choices, default=workflow.Raters.UP_TO_K,
            help_text="Items that already have raters (imported ratings hold no slots): up_to_k counts them toward "
                      "k (an item with j raters gets max(0, k - j) slots), k_more gives every item k slots.")

    @extend_schema_serializer(component_name="Batch")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="public_id")
        number = serializers.IntegerField()
        items = serializers.IntegerField(source="items.count")
        seed = serializers.IntegerField(allow_null=True)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer(many=True)},
                   summary="Cut the campaign's unbatched items into batches")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batches = workflow.campaign_cut_batches(campaign=campaign, **serializer.validated_data)
        return Response(self.OutputSerializer(batches, many=True).data, status=status.HTTP_201_CREATED)


class AssignApi(APIView):
    @extend_schema_serializer(component_name="BatchAssign")
    class InputSerializer(serializers.Serializer):
        annotators = serializers.ListField(child=serializers.CharField(), min_length=1,
                                           help_text="Handles of annotator members of the campaign.")

    @extend_schema_serializer(component_name="BatchesAssigned")
    class OutputSerializer(serializers.Serializer):  # the view answers with a dict of this shape
        assignments = serializers.IntegerField(help_text="Assignments made.")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer},
                   summary="Assign unassigned batches so every item gets exactly k annotators")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        members = members_by_handle(campaign, serializer.validated_data["annotators"])
        assignments = workflow.campaign_assign_batches(campaign=campaign, annotators=members)
        return Response({"assignments": len(assignments)}, status=status.HTTP_201_CREATED)


def members_by_handle(campaign, handles):
    found = {a.handle: a for a in access.campaign_annotators(campaign).filter(handle__in=handles)}
    unknown = [handle for handle in handles if handle not in found]
    if unknown:
        raise serializers.ValidationError({"annotators": f"not annotators of {campaign.slug}: {', '.join(unknown)}"})
    return [found[handle] for handle in handles]


class OpenApi(APIView):
    @extend_schema_serializer(component_name="CampaignOpen")
    class InputSerializer(serializers.Serializer):
        mode = serializers.ChoiceField(choices=Campaign.Mode.choices)

    @extend_schema_serializer(component_name="CampaignOpened")
    class OutputSerializer(serializers.Serializer):  # the view answers with a dict of this shape
        status = serializers.ChoiceField(choices=Campaign.Status.choices)
        mode = serializers.ChoiceField(choices=Campaign.Mode.choices)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, summary="Open the campaign for rating")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = workflow.campaign_open(campaign=campaign, **serializer.validated_data)
        return Response({"status": campaign.status, "mode": campaign.mode})


class ProgressApi(APIView):
    @extend_schema(responses=CampaignProgressSerializer, summary="Progress per annotator, batch and model")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        return Response(campaign_progress(campaign))


class ReassignApi(APIView):
    @extend_schema_serializer(component_name="AssignmentReassign")
    class InputSerializer(serializers.Serializer):
        annotator = serializers.CharField(help_text="Handle of the annotator who takes over.")

    @extend_schema_serializer(component_name="AssignmentReassigned")
    class OutputSerializer(serializers.Serializer):  # the view answers with a dict of this shape
        assignment = serializers.UUIDField(help_text="The new assignment's id.")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, summary="Reassign a stalled assignment")
    def post(self, request, public_id):
        assignment = access.assignment_for_lead(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target, = members_by_handle(assignment.batch.campaign, [serializer.validated_data["annotator"]])
        new = workflow.assignment_reassign(assignment=assignment, annotator=target)
        return Response({"assignment": str(new.public_id)}, status=status.HTTP_201_CREATED)


class CloseBatchApi(APIView):
    @extend_schema_serializer(component_name="BatchClosed")
    class OutputSerializer(serializers.Serializer):  # the view answers with a dict of this shape
        closed_at = serializers.DateTimeField()

    @extend_schema(request=None, responses={200: OutputSerializer}, summary="Close a batch: its ratings become final")
    def post(self, request, public_id):
        batch = workflow.batch_close(batch=access.batch_for_lead(request.user, public_id))
        return Response({"closed_at": batch.closed_at})


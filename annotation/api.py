"""REST API of the rating workflow. Thin classes: check input, call one service, shape the output."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import get_language, gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from annotation.models import Annotator, Batch, Campaign, CampaignMembership, Rubric, Skip
from annotation.selectors import campaign_people, user_is_annotator
from annotation.serializers import CampaignProgressSerializer, ItemSerializer, ScoresField
from annotation.quality_gates import gold_notice, gold_standing, known_answer
from annotation.services import quality as quality_services, workflow
from annotation.services.campaigns import campaign_create
from annotation.services.memberships import annotator_tier_set, campaign_member_add, campaign_member_remove
from annotation.services.tokens import token_make, token_revoke
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
            409: OpenApiResponse(description="Paused: too many answers to check items were far from the expected "
                                             "ones; ``detail`` says so, until the lead lets me continue."),
        },
        summary="Take the next item to rate (the one I hold, else in pull mode a newly claimed one)",
    )
    def post(self, request, slug):
        campaign, annotator = access.campaign_for_annotator(request.user, slug)
        item = workflow.item_next(annotator=annotator, campaign=campaign)
        if item is None and gold_standing(campaign, annotator).paused:
            return Response({"detail": gold_notice(campaign, annotator)}, status=status.HTTP_409_CONFLICT)
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
        scores = ScoresField(required=False, default=dict,
                                       help_text="Likert items: axis key → score, the axes scored so far (null: "
                                                 "not scored); in a campaign that scores each turn, turn (\"1\", "
                                                 "\"2\", ...) → {axis key → score}.")
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
        scores = ScoresField(required=False, default=dict,
                                       help_text="Likert items (required there): axis key → score, every axis of "
                                                 "the rubric, each within the axis's min..max; in a campaign that "
                                                 "scores each turn, turn (\"1\", \"2\", ...) → {axis key → score}, "
                                                 "every axis of every turn.")
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
        batches_cut = serializers.IntegerField(help_text="Batches cut on opening: in pull mode, the items outside "
                                                         "batches are cut first (in prompt order).")

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, summary="Open the campaign for rating")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = workflow.campaign_open(campaign=campaign, **serializer.validated_data)
        return Response({"status": campaign.status, "mode": campaign.mode, "batches_cut": campaign.batches_cut})


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



# Setup: campaigns, their people, the caller's own token ---------------------------------------------------


class CampaignSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Rubric.Kind.choices, source="rubric.kind", help_text="The rubric's kind.")
    rubric = serializers.CharField(source="rubric.key")
    overlap = serializers.IntegerField()
    show_model_names = serializers.BooleanField()
    per_turn_scores = serializers.BooleanField(help_text="Likert: every axis is scored once per turn.")
    status = serializers.ChoiceField(choices=Campaign.Status.choices)
    mode = serializers.ChoiceField(choices=Campaign.Mode.choices)
    description = serializers.CharField()
    instructions = serializers.CharField()


class CampaignsApi(APIView):
    @extend_schema_serializer(component_name="CampaignCreate")
    class InputSerializer(serializers.Serializer):
        slug = serializers.CharField(max_length=100)
        name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
        rubric = serializers.CharField(default="quality-5x5", help_text="A rubric key; the campaign's kind is its kind.")
        overlap = serializers.IntegerField(default=2, max_value=100,
                                           help_text="k, the distinct annotators each item gets (2 to 100).")
        show_model_names = serializers.BooleanField(default=False)
        per_turn_scores = serializers.BooleanField(
            default=False, help_text="Likert: annotators score every axis once per turn of the conversation "
                                     "(scores sent as turn → {axis → score}).")
        description = serializers.CharField(required=False, default="", allow_blank=True)
        instructions = serializers.CharField(required=False, default="", allow_blank=True,
                                             help_text="Markdown, shown on every rating page.")
        leads = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                      help_text="Usernames of co-leads; the caller leads it too.")

    @extend_schema(responses=CampaignSerializer(many=True), summary="The campaigns I belong to")
    def get(self, request):
        campaigns = access.member_campaigns(request.user).select_related("rubric").order_by("slug")
        return Response(CampaignSerializer(campaigns, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CampaignSerializer}, summary="Create a campaign (leads)")
    def post(self, request):
        if not access.is_lead(request.user):
            raise PermissionDenied(_("Only leads can do this."))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rubric_key = data.pop("rubric")
        campaign = campaign_create(**data, rubric_key=rubric_key, created_by=request.user)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Empty for external annotators, known by their handle only.")
    role = serializers.ChoiceField(choices=[*CampaignMembership.Role.choices, ("external", "External annotator")])
    handle = serializers.CharField(allow_null=True, help_text="Annotators: the handle batches are assigned by.")
    tier = serializers.ChoiceField(choices=Annotator.Tier.choices, allow_null=True)
    rated = serializers.IntegerField(allow_null=True)
    held = serializers.IntegerField(allow_null=True, help_text="Places to rate held (members only).")


def people_rows(people):
    """campaign_people as one flat list of PersonSerializer rows."""
    def plain(username, role):
        return {"username": username, "role": role, "handle": None, "tier": None, "rated": None, "held": None}

    def annotator(row, role):
        return {"username": row.username, "role": role, "handle": row.annotator.handle, "tier": row.annotator.tier,
                "rated": row.done, "held": row.held if role == "annotator" else None}

    return ([plain(name, "lead") for name in people.leads] + [annotator(row, "annotator") for row in people.annotators]
            + [annotator(row, "external") for row in people.external]
            + [plain(name, "researcher") for name in people.researchers])


class MembersApi(APIView):
    @extend_schema_serializer(component_name="MemberAdd")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        role = serializers.ChoiceField(choices=CampaignMembership.Role.choices, default=CampaignMembership.Role.ANNOTATOR)
        tier = serializers.ChoiceField(choices=Annotator.Tier.choices, required=False, default="",
                                       help_text="Annotators: their tier (kept when omitted; professional when new).")

    @extend_schema(responses=PersonSerializer(many=True), summary="The campaign's people: leads, annotators with "
                                                                   "their tiers, external annotators, researchers")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        return Response(PersonSerializer(people_rows(campaign_people(campaign)), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PersonSerializer(many=True)},
                   summary="Add a member: a co-lead, an annotator (with a tier) or a researcher granted access")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign_member_add(campaign=campaign, **serializer.validated_data)
        return Response(PersonSerializer(people_rows(campaign_people(campaign)), many=True).data,
                        status=status.HTTP_201_CREATED)


class MemberApi(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Take a member off the campaign")
    def delete(self, request, slug, username):
        campaign = access.campaign_for_lead(request.user, slug)
        campaign_member_remove(campaign=campaign, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnotatorTierApi(APIView):
    @extend_schema_serializer(component_name="AnnotatorTier")
    class InputSerializer(serializers.Serializer):
        tier = serializers.ChoiceField(choices=Annotator.Tier.choices)

    @extend_schema(request=InputSerializer, responses={200: InputSerializer},
                   summary="Set the tier of an annotator of the campaign (a member or an external one)")
    def put(self, request, slug, handle):
        _campaign, annotator = access.annotator_for_lead(request.user, slug, handle)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        annotator_tier_set(annotator=annotator, tier=serializer.validated_data["tier"])
        return Response({"tier": annotator.tier})


class MyTokenApi(APIView):
    @extend_schema_serializer(component_name="ApiToken")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it as `Authorization: Token …`; shown once, keep it safe.")

    @extend_schema(request=None, responses={201: OutputSerializer},
                   summary="Make my API token (replacing the one I had)")
    def post(self, request):
        return Response({"token": token_make(user=request.user).key}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Revoke my API token")
    def delete(self, request):
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QualityApi(APIView):
    @extend_schema(responses=dict, summary="Per-annotator reliability: attention test, gold accuracy, z, competence")
    def get(self, request, slug):
        from annotation.quality_selectors import campaign_qc_report  # numpy, pandas, scipy: not at start-up

        campaign = access.campaign_for_lead(request.user, slug)
        return Response(campaign_qc_report(campaign))


class GoldPauseLiftApi(APIView):
    @extend_schema(request=None, responses=dict, summary="Let a paused annotator rate again")
    def post(self, request, slug, handle):
        campaign, annotator = access.annotator_for_lead(request.user, slug, handle)
        standing = gold_standing(campaign, annotator)
        quality_services.gold_pause_lift(campaign=campaign, annotator=annotator, lifted_by=request.user,
                                         misses=standing.misses)
        return Response({"annotator": annotator.handle, "misses_forgiven": standing.misses})


class KnownAnswerApi(APIView):
    @extend_schema(responses={200: dict, 404: OpenApiResponse(description="Not a check item I rated in training mode.")},
                   summary="In training mode, the known answer of a check item I have rated")
    def get(self, request, public_id):
        item, annotator = access.item_for_annotator(request.user, public_id)
        answer = known_answer(item, annotator)
        if answer is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response(answer)

"""REST API of model endpoints and generation jobs. Thin classes: check input, call one service, shape the output.

Endpoints are for leads (403 otherwise); a campaign's generation jobs for its leads (403 for the campaign's
pages, 404 for a job of a campaign one does not lead). Job progress and estimates have the judge jobs' shape.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from judging import selectors, services
from judging.api import EstimateSerializer, JudgeJobProgressSerializer, require_lead
from judging.models import JudgeConfig, ModelEndpoint
from judging.services.generation import endpoint_named


@extend_schema_serializer(component_name="ModelEndpoint")
class EndpointOutputSerializer(serializers.ModelSerializer):
    answers_as = serializers.CharField(source="language_model.name", read_only=True,
                                       help_text="The language model its answers are stored as.")

    class Meta:
        model = ModelEndpoint
        fields = [
            "name", "answers_as", "description", "base_url", "model", "api_key_env", "temperature", "top_p", "seed",
            "max_tokens", "samples", "system_prompt", "price_input_per_million", "price_output_per_million",
            "budget", "concurrency", "requests_per_minute", "timeout_seconds", "max_attempts", "output_format",
            "accepts_images", "created_at", "updated_at",
        ]


@extend_schema_serializer(component_name="ModelEndpointChange")
class EndpointInputSerializer(serializers.Serializer):
    answers_as = serializers.CharField(required=False, max_length=200,
                                       help_text="Language model name; default the endpoint's name.")
    description = serializers.CharField(required=False, allow_blank=True)
    base_url = serializers.URLField(required=False)
    model = serializers.CharField(required=False, help_text="The model's name at the endpoint.")
    api_key_env = serializers.CharField(required=False, allow_blank=True)
    temperature = serializers.FloatField(required=False)
    top_p = serializers.FloatField(required=False, allow_null=True)
    seed = serializers.IntegerField(required=False, allow_null=True)
    max_tokens = serializers.IntegerField(required=False, min_value=1)
    samples = serializers.IntegerField(required=False, min_value=1)
    system_prompt = serializers.CharField(required=False, allow_blank=True)
    price_input_per_million = serializers.DecimalField(max_digits=10, decimal_places=4, required=False)
    price_output_per_million = serializers.DecimalField(max_digits=10, decimal_places=4, required=False)
    budget = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True)
    concurrency = serializers.IntegerField(required=False, min_value=1)
    requests_per_minute = serializers.IntegerField(required=False, min_value=0)
    timeout_seconds = serializers.IntegerField(required=False, min_value=1)
    max_attempts = serializers.IntegerField(required=False, min_value=1)
    output_format = serializers.ChoiceField(JudgeConfig.OutputFormat.choices, required=False,
                                            help_text="How exam questions are answered by default.")
    accepts_images = serializers.BooleanField(required=False,
                                              help_text="Exam questions are sent with their figures as image parts.")


class EndpointsApi(APIView):
    @extend_schema_serializer(component_name="ModelEndpointCreate")
    class CreateSerializer(EndpointInputSerializer):
        name = serializers.SlugField()
        base_url = serializers.URLField()
        model = serializers.CharField()

    @extend_schema(responses=EndpointOutputSerializer(many=True), summary="Model endpoints")
    def get(self, request):
        require_lead(request.user)
        return Response(EndpointOutputSerializer(selectors.endpoints_for_lead(request.user), many=True).data)

    @extend_schema(
        request=CreateSerializer,
        responses={
            201: OpenApiResponse(EndpointOutputSerializer, description="A new endpoint."),
            200: OpenApiResponse(EndpointOutputSerializer, description="The endpoint of that name, updated."),
        },
        summary="Create a model endpoint (or update the one of that name)",
    )
    def post(self, request):
        require_lead(request.user)
        serializer = self.CreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, created = services.model_endpoint_save(**serializer.validated_data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(EndpointOutputSerializer(endpoint).data, status=code)


class EndpointApi(APIView):
    @extend_schema(responses=EndpointOutputSerializer, summary="One model endpoint")
    def get(self, request, name):
        require_lead(request.user)
        return Response(EndpointOutputSerializer(get_object_or_404(ModelEndpoint, name=name)).data)

    @extend_schema(request=EndpointInputSerializer, responses=EndpointOutputSerializer,
                   summary="Change some fields of a model endpoint")
    def patch(self, request, name):
        require_lead(request.user)
        get_object_or_404(ModelEndpoint, name=name)
        serializer = EndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, _ = services.model_endpoint_save(name=name, **serializer.validated_data)
        return Response(EndpointOutputSerializer(endpoint).data)


class GeneratedSampleSerializer(serializers.Serializer):
    prompt = serializers.CharField(help_text="The prompt's id.")
    question = serializers.CharField(help_text="Its first turn.")
    sample = serializers.IntegerField()
    status = serializers.CharField(help_text="ok, truncated, refused or api_error.")
    answer = serializers.CharField(help_text="The first turn's answer, or a failure's partial output.")
    error = serializers.CharField()
    tokens_out = serializers.IntegerField()
    latency_ms = serializers.IntegerField()


@extend_schema_serializer(component_name="GenerationJob")
class GenerationJobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    campaign = serializers.CharField(source="campaign.slug")
    endpoint = serializers.CharField(source="endpoint.name")
    first_sample = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    budget = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.SerializerMethodField(help_text="Units are (prompt, sample); done are answered.")
    samples = serializers.SerializerMethodField(help_text="The latest answers and failures.")

    @extend_schema_field(JudgeJobProgressSerializer)
    def get_progress(self, job) -> dict:
        return selectors.job_progress(job).as_json()

    @extend_schema_field(GeneratedSampleSerializer(many=True))
    def get_samples(self, job) -> list:
        return selectors.generation_samples_shown(job)


class CampaignGenerationJobsApi(APIView):
    @extend_schema_serializer(component_name="GenerationJobCreate")
    class InputSerializer(serializers.Serializer):
        endpoint = serializers.CharField(help_text="Model endpoint name.")
        new_sample = serializers.BooleanField(
            default=False, help_text="Answer as the model's next free sample (MODEL#n) rather than refusing when "
                                     "the model has responses made elsewhere.")
        output_format = serializers.ChoiceField(
            JudgeConfig.OutputFormat.choices, required=False, allow_null=True, default=None,
            help_text="Exam campaigns: text (a reply ending in 「答え: N」) or json_schema; default the endpoint's.")
        text_only = serializers.BooleanField(
            default=False, help_text="Exam campaigns: leave out the questions that need a figure.")
        figures = serializers.BooleanField(
            required=False, allow_null=True, default=None,
            help_text="Exam campaigns: send the questions' figures as image parts; default: when the endpoint "
                      "accepts images.")

    @extend_schema(responses=GenerationJobSerializer(many=True), summary="A campaign's generation jobs")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        jobs = selectors.generation_jobs_for_lead(request.user, campaign)
        return Response(GenerationJobSerializer(jobs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: GenerationJobSerializer},
                   summary="Queue a generation job: the endpoint answers every prompt of the campaign its model "
                           "has not answered")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = services.generation_job_create(campaign=campaign, endpoint=endpoint_named(data["endpoint"]),
                                             new_sample=data["new_sample"], options=exam_options(data),
                                             user=request.user)
        return Response(GenerationJobSerializer(job).data, status=status.HTTP_201_CREATED)


def exam_options(data):
    """The exam options of a job (judging.kinds: generation_options) from validated input."""
    return {name: data.get(name) for name in ("output_format", "text_only", "figures")}


class GenerationEstimateApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("endpoint", str, required=True, description="Model endpoint name."),
                               OpenApiParameter("new_sample", bool, required=False),
                               OpenApiParameter("output_format", str, required=False,
                                                enum=JudgeConfig.OutputFormat.values,
                                                description="Exam campaigns."),
                               OpenApiParameter("text_only", bool, required=False, description="Exam campaigns."),
                               OpenApiParameter("figures", bool, required=False, description="Exam campaigns.")],
                   responses=EstimateSerializer, summary="What a generation job would ask for, before it starts")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        # A plain dict: DRF reads a missing boolean of a QueryDict as false, and figures must default to None.
        serializer = CampaignGenerationJobsApi.InputSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(EstimateSerializer(services.generation_job_estimate(
            campaign=campaign, endpoint=endpoint_named(data["endpoint"]), new_sample=data["new_sample"],
            options=exam_options(data))).data)


class GenerationJobApi(APIView):
    @extend_schema(responses=GenerationJobSerializer,
                   summary="A generation job with its progress, error rates, cost and latest answers")
    def get(self, request, public_id):
        return Response(GenerationJobSerializer(selectors.generation_job_for_lead(request.user, public_id)).data)


class GenerationJobActionApi(APIView):
    """Pause, resume, cancel, or answer again the units that failed (API error, truncated, refused)."""

    @extend_schema_serializer(component_name="GenerationJobAction")
    class InputSerializer(serializers.Serializer):
        budget = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True,
                                          min_value=0, help_text="For resume: a new budget (USD).")

    action = None

    @extend_schema(request=InputSerializer, responses=GenerationJobSerializer,
                   summary="Pause, resume, cancel, or retry-failures (the path says which) of a generation job")
    def post(self, request, public_id):
        job = selectors.generation_job_for_lead(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.generation_job_act(job=job, action=self.action, user=request.user,
                                    budget=serializer.validated_data.get("budget"))
        job.refresh_from_db()
        return Response(GenerationJobSerializer(job).data)

"""REST API of judge configs and jobs. Thin classes: check input, call one service, shape the output.

Configs are for leads (403 otherwise); a campaign's jobs for its leads (403 for the
campaign's pages, 404 for a job of a campaign one does not lead).
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from judging import selectors, services
from judging.models import InconsistentPairs, JudgeConfig
from judging.prompts import TEMPLATES


def require_lead(user):
    if not access.is_lead(user):
        raise PermissionDenied(_("Only leads may manage judge configs."))


@extend_schema_serializer(component_name="JudgeConfig")
class ConfigOutputSerializer(serializers.ModelSerializer):
    rubric = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = JudgeConfig
        fields = [
            "name", "description", "rubric", "base_url", "model", "api_key_env", "template", "template_version",
            "output_format", "temperature", "seed", "max_tokens", "samples", "price_input_per_million",
            "price_output_per_million", "budget", "concurrency", "requests_per_minute", "timeout_seconds",
            "max_attempts", "max_parse_retries", "inconsistent", "created_at", "updated_at",
        ]


@extend_schema_serializer(component_name="JudgeConfigChange")
class ConfigInputSerializer(serializers.Serializer):
    rubric = serializers.CharField(required=False, help_text="Rubric key; default quality-5x5 for a new config.")
    template = serializers.ChoiceField(choices=sorted(TEMPLATES), required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    base_url = serializers.URLField(required=False)
    model = serializers.CharField(required=False)
    api_key_env = serializers.CharField(required=False, allow_blank=True)
    output_format = serializers.ChoiceField(choices=JudgeConfig.OutputFormat.choices, required=False)
    temperature = serializers.FloatField(required=False)
    seed = serializers.IntegerField(required=False, allow_null=True)
    max_tokens = serializers.IntegerField(required=False, min_value=1)
    samples = serializers.IntegerField(required=False, min_value=1)
    price_input_per_million = serializers.DecimalField(max_digits=10, decimal_places=4, required=False)
    price_output_per_million = serializers.DecimalField(max_digits=10, decimal_places=4, required=False)
    budget = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True)
    concurrency = serializers.IntegerField(required=False, min_value=1)
    requests_per_minute = serializers.IntegerField(required=False, min_value=0)
    timeout_seconds = serializers.IntegerField(required=False, min_value=1)
    max_attempts = serializers.IntegerField(required=False, min_value=1)
    max_parse_retries = serializers.IntegerField(required=False, min_value=0)
    inconsistent = serializers.ChoiceField(choices=InconsistentPairs.choices, required=False)

    def service_arguments(self):
        data = dict(self.validated_data)
        return {"rubric_key": data.pop("rubric", None), "template": data.pop("template", None), **data}


class ConfigsApi(APIView):
    @extend_schema_serializer(component_name="JudgeConfigCreate")
    class CreateSerializer(ConfigInputSerializer):
        name = serializers.SlugField()
        base_url = serializers.URLField()
        model = serializers.CharField()

    @extend_schema(responses=ConfigOutputSerializer(many=True), summary="Judge configs")
    def get(self, request):
        require_lead(request.user)
        return Response(ConfigOutputSerializer(selectors.configs_for_lead(request.user), many=True).data)

    @extend_schema(
        request=CreateSerializer,
        responses={
            201: OpenApiResponse(ConfigOutputSerializer, description="A new config."),
            200: OpenApiResponse(ConfigOutputSerializer, description="The config of that name, updated."),
        },
        summary="Create a judge config (or update the one of that name)",
    )
    def post(self, request):
        require_lead(request.user)
        serializer = self.CreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        config, created = services.judge_config_save(name=serializer.validated_data["name"],
                                                     **_without_name(serializer.service_arguments()))
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ConfigOutputSerializer(config).data, status=code)


def _without_name(arguments):
    return {key: value for key, value in arguments.items() if key != "name"}


class ConfigApi(APIView):
    @extend_schema(responses=ConfigOutputSerializer, summary="One judge config")
    def get(self, request, name):
        require_lead(request.user)
        return Response(ConfigOutputSerializer(get_object_or_404(JudgeConfig, name=name, is_external=False)).data)

    @extend_schema(request=ConfigInputSerializer, responses=ConfigOutputSerializer,
                   summary="Change some fields of a judge config")
    def patch(self, request, name):
        require_lead(request.user)
        get_object_or_404(JudgeConfig, name=name, is_external=False)
        serializer = ConfigInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        config, _ = services.judge_config_save(name=name, **serializer.service_arguments())
        return Response(ConfigOutputSerializer(config).data)


class ShareSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    count = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="count / n; null when n is 0.")
    reason = serializers.CharField(allow_null=True, help_text="Why there is no rate, or null.")


class PositionBiasSerializer(serializers.Serializer):
    n_verdicts = serializers.IntegerField()
    consistency = ShareSerializer(help_text="Pairs judged alike in both orders, among the pairs judged in both.")
    first_position_wins = ShareSerializer(help_text="Decisive verdicts with a known order won by the response shown "
                                                    "first (0.5 is no position bias).")
    longer_wins = ShareSerializer(help_text="Decisive verdicts on responses of different lengths won by the longer "
                                            "(0.5 is no length bias).")


class JudgeJobProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    total = serializers.IntegerField(help_text="Units to judge.")
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    percent = serializers.FloatField()
    failures = serializers.DictField(child=serializers.IntegerField(), help_text="Verdict status → failed units.")
    calls = serializers.IntegerField(help_text="Calls made to the endpoint (cache hits excluded).")
    cached = serializers.IntegerField()
    call_errors = serializers.DictField(child=serializers.IntegerField(), help_text="Call outcome → failed calls.")
    error_rates = serializers.DictField(child=serializers.FloatField(),
                                        help_text="Call outcome → share of all calls and cache hits.")
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    cost = serializers.CharField(help_text="USD so far, a decimal number as a string.")
    latency_ms_avg = serializers.IntegerField()
    projected_cost = serializers.CharField(allow_null=True, help_text="USD at the end at the pace so far (a decimal "
                                                                      "string); null before any unit is finished.")
    estimate = serializers.DictField(help_text="The estimate made when the job was queued (see judge-estimate); "
                                               "empty for older jobs.")


@extend_schema_serializer(component_name="JudgeJob")
class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    campaign = serializers.CharField(source="campaign.slug")
    config = serializers.CharField(source="config.name")
    status = serializers.CharField()
    message = serializers.CharField()
    budget = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    api_error_as_lowest = serializers.BooleanField(
        help_text="Whether the job's API errors count as the lowest score in the leaderboard and the safety rates.")
    progress = serializers.SerializerMethodField()
    position_bias = serializers.SerializerMethodField(help_text="Pairwise jobs; null for likert ones.")

    @extend_schema_field(JudgeJobProgressSerializer)
    def get_progress(self, job) -> dict:
        return selectors.job_progress(job).as_json()

    @extend_schema_field(PositionBiasSerializer(allow_null=True))
    def get_position_bias(self, job) -> dict | None:
        bias = selectors.job_position_bias(job)
        return None if bias is None else bias.as_dict()


@extend_schema_serializer(component_name="JudgeJobEstimate")
class EstimateSerializer(serializers.Serializer):
    units = serializers.IntegerField()
    calls = serializers.IntegerField()
    cached = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens_max = serializers.IntegerField()
    cost_input = serializers.DecimalField(max_digits=14, decimal_places=6)
    cost_max = serializers.DecimalField(max_digits=14, decimal_places=6)


def config_for_job(name):
    return get_object_or_404(JudgeConfig, name=name, is_external=False)


class CampaignJobsApi(APIView):
    @extend_schema_serializer(component_name="JudgeJobCreate")
    class InputSerializer(serializers.Serializer):
        config = serializers.CharField(help_text="Judge config name.")
        api_error_as_lowest = serializers.BooleanField(
            default=False, help_text="Count an item whose call failed with an API error as the lowest score (1) "
                                     "in the leaderboard and the safety rates (llm-jp-judge's convention).")

    @extend_schema(responses=JobSerializer(many=True), summary="A campaign's judge jobs")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        return Response(JobSerializer(selectors.jobs_for_lead(request.user, campaign), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: JobSerializer},
                   summary="Queue a judge job over every item of the campaign")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.judge_job_create(campaign=campaign, config=config_for_job(serializer.validated_data["config"]),
                                        user=request.user,
                                        api_error_as_lowest=serializer.validated_data["api_error_as_lowest"])
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class EstimateApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("config", str, required=True, description="Judge config name.")],
                   responses=EstimateSerializer, summary="What a judge job would ask for, before it starts")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        config = config_for_job(request.query_params.get("config", ""))
        return Response(EstimateSerializer(services.judge_job_estimate(campaign=campaign, config=config)).data)


class JobApi(APIView):
    @extend_schema(responses=JobSerializer, summary="A judge job with its progress, error rates, tokens and cost")
    def get(self, request, public_id):
        return Response(JobSerializer(selectors.job_for_lead(request.user, public_id)).data)


class JobActionApi(APIView):
    """Pause, resume, cancel, or judge again the units that ended in API errors."""

    @extend_schema_serializer(component_name="JudgeJobAction")
    class InputSerializer(serializers.Serializer):
        budget = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True,
                                          min_value=0, help_text="For resume: a new budget (USD).")

    action = None

    @extend_schema(request=InputSerializer, responses=JobSerializer,
                   summary="Pause, resume, cancel, or retry-failures (the path says which) of a judge job")
    def post(self, request, public_id):
        job = selectors.job_for_lead(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if self.action == "pause":
            services.judge_job_pause_by(job=job, user=request.user)
        elif self.action == "resume":
            services.judge_job_resume(job=job, budget=serializer.validated_data.get("budget"))
        elif self.action == "cancel":
            services.judge_job_cancel(job=job)
        else:
            services.judge_job_retry_failures(job=job)
        job.refresh_from_db()
        return Response(JobSerializer(job).data)

"""REST API of releases: published datasets with their files and download URLs for anyone (restricted
ones for researchers), and for leads, creating, watching, publishing and withdrawing releases."""

import mimetypes

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from annotation.errors import HyokaError
from exports import rating_export, selectors, services
from exports.models import Release, ReleaseFile

mimetypes.add_type("application/vnd.apache.parquet", ".parquet")
mimetypes.add_type("application/x-ndjson", ".jsonl")


class ReleaseFileSerializer(serializers.Serializer):
    path = serializers.CharField()
    table = serializers.CharField()
    format = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    rows = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, file) -> str:
        release = self.context["release"]
        return self.context["request"].build_absolute_uri(
            reverse("dataset_file", args=[release.name, release.version, file.path]))


class ReleaseSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    license = serializers.CharField()
    citation = serializers.CharField()
    restricted = serializers.BooleanField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    withdrawn_reason = serializers.CharField()
    campaigns = serializers.SerializerMethodField()
    rows = serializers.DictField(source="stats.rows", default=dict, child=serializers.IntegerField(allow_null=True),
                                 help_text="Table → its rows.")
    url = serializers.SerializerMethodField()

    def get_campaigns(self, release) -> list[str]:
        return [campaign.slug for campaign in release.campaigns.all()]

    def get_url(self, release) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_dataset", args=[release.name, release.version]))


class DatasetListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ReleaseSerializer(many=True),
                   summary="Published datasets (restricted ones for researchers)")
    def get(self, request):
        releases = selectors.visible_releases(request.user)
        return Response(ReleaseSerializer(releases, many=True, context={"request": request}).data)


class DatasetApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="DatasetDetail")
    class OutputSerializer(ReleaseSerializer):
        card = serializers.CharField()
        files = serializers.SerializerMethodField()

        @extend_schema_field(ReleaseFileSerializer(many=True))
        def get_files(self, release) -> list[dict]:
            context = {**self.context, "release": release}
            return ReleaseFileSerializer(selectors.release_files(release), many=True, context=context).data

    @extend_schema(responses=OutputSerializer, summary="A dataset release: card, files with sizes, SHA-256 and URLs")
    def get(self, request, name, version):
        release = _readable(request, name, version)
        return Response(self.OutputSerializer(release, context={"request": request}).data)


class DatasetFileApi(APIView):
    """Serves one file after checking it against its recorded SHA-256 (409 when it does not match).

    Readers get the files of the releases they may read; the leads of a draft and the researchers they granted
    access get its files too, to check them before publishing."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description=(
                "The file, as an attachment; its Content-Type follows its extension (Parquet, JSONL, CSV, JSON, "
                "Markdown, ZIP).")),
            409: OpenApiResponse(description="The file on disk does not match its recorded SHA-256."),
            410: OpenApiResponse(description="The release was withdrawn."),
        },
        summary="Download one file of a release",
    )
    def get(self, request, name, version, path):
        release = _readable(request, name, version)  # a draft too, for its leads and granted researchers
        try:
            target = services.release_file_for_download(release=release, path=path)
        except ReleaseFile.DoesNotExist:
            raise Http404("no such file in this release") from None
        except services.ReleaseFileMismatch as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except HyokaError as error:  # withdrawn
            return Response({"detail": str(error)}, status=status.HTTP_410_GONE)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return FileResponse(open(target, "rb"), as_attachment=True, filename=target.name, content_type=content_type)


def _readable(request, name, version):
    release = selectors.release_for_reader(request.user, name, version)
    if release is None:
        raise Http404("no such dataset")
    return release


class ReleaseStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField()
    build_status = serializers.CharField()
    build_progress = serializers.IntegerField()
    build_step = serializers.CharField()
    build_error = serializers.CharField()
    stats = serializers.DictField(help_text="Once built: rows (table → rows), annotators (tier → count), files, "
                                            "bytes, and what the campaign kind adds (kind, items).")
    url = serializers.SerializerMethodField()

    def get_url(self, release) -> str:
        page = reverse("dataset_detail", args=[release.name, release.version])
        return self.context["request"].build_absolute_uri(page)


class CampaignRatingsApi(APIView):
    @extend_schema_serializer(component_name="RatingsExportQuery")
    class InputSerializer(serializers.Serializer):
        output = serializers.ChoiceField(choices=rating_export.FORMATS, default="jsonl",
                                         help_text="jsonl: one JSON object per line; csv: a header line, then a "
                                                   "row per rating (scores as scores.AXIS columns).")
        since = serializers.CharField(required=False, help_text="Only ratings made or revised at this time or "
                                                                "later (ISO 8601; a date means its start).")

    @extend_schema(
        parameters=[InputSerializer],
        responses={(200, "application/jsonl"): OpenApiTypes.STR, (200, "text/csv"): OpenApiTypes.STR},
        summary="Every rating of the campaign as JSON Lines or CSV, streamed (leads of the campaign)",
        description="One record per rating, as import_ratings reads it, with its item, revision and times: "
                    "campaign, item_id, prompt_id, annotator, comment, seconds_spent, revision, submitted_at, "
                    "revised_at, then for likert campaigns model and scores ({axis: score}), for pairwise ones "
                    "model_a, model_b and verdict (in the item's terms). In rating order; a script that keeps "
                    "the time it started can ask next time for the ratings since then.",
    )
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        output, since = serializer.validated_data["output"], serializer.validated_data.get("since")
        since = rating_export.export_since(since) if since is not None else None
        response = StreamingHttpResponse(rating_export.ratings_export(campaign, output=output, since=since),
                                         content_type=rating_export.CONTENT_TYPES[output])
        response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-ratings.{output}"'
        return response


class CampaignReleasesApi(APIView):
    @extend_schema_serializer(component_name="ReleaseCreate")
    class InputSerializer(serializers.Serializer):
        version = serializers.CharField(max_length=64)
        campaigns = serializers.ListField(child=serializers.SlugField(), required=False,
                                          help_text="More campaigns you lead to include besides this one.")
        name = serializers.SlugField(required=False, default="")
        title = serializers.CharField(required=False, default="")
        description = serializers.CharField(required=False, default="", allow_blank=True)
        license = serializers.ChoiceField(choices=Release.License.choices, default=Release.License.CC_BY_4_0)
        citation = serializers.CharField(required=False, default="", allow_blank=True)
        restricted = serializers.BooleanField(default=False)
        include_usernames = serializers.BooleanField(default=False)
        include_emails = serializers.BooleanField(default=False)
        include_comments = serializers.BooleanField(default=False)
        dpo_threshold = serializers.FloatField(default=1.0, min_value=0.01)

    @extend_schema(request=InputSerializer, responses={202: ReleaseStatusSerializer},
                   summary="Create a release of this campaign (a draft, built in the background)")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        others = [access.campaign_for_lead(request.user, other) for other in data.pop("campaigns", [])
                  if other != campaign.slug]
        release = services.release_create(campaigns=[campaign, *others], user=request.user, **data)
        return Response(ReleaseStatusSerializer(release, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)


class ReleaseApi(APIView):
    @extend_schema(responses=ReleaseStatusSerializer, summary="A release of yours: status and build progress")
    def get(self, request, public_id):
        release = selectors.release_for_lead(request.user, public_id)
        return Response(ReleaseStatusSerializer(release, context={"request": request}).data)

    @extend_schema(request=None, responses={204: None},
                   summary="Discard a draft and its files (a published release is never deleted)")
    def delete(self, request, public_id):
        services.release_discard(release=selectors.release_for_lead(request.user, public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReleasePublishApi(APIView):
    @extend_schema(request=None, responses=ReleaseStatusSerializer, summary="Publish a built draft")
    def post(self, request, public_id):
        release = services.release_publish(release=selectors.release_for_lead(request.user, public_id))
        return Response(ReleaseStatusSerializer(release, context={"request": request}).data)


class ReleaseWithdrawApi(APIView):
    @extend_schema_serializer(component_name="ReleaseWithdrawal")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ReleaseStatusSerializer,
                   summary="Withdraw a published release, saying why")
    def post(self, request, public_id):
        release = selectors.release_for_lead(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = services.release_withdraw(release=release, reason=serializer.validated_data["reason"])
        return Response(ReleaseStatusSerializer(release, context={"request": request}).data)


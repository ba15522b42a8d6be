"""REST API of uploads: a multipart POST that answers 202 with the upload, then GET the upload to follow its
import (status, progress, errors). The browser's upload widget (static/js/upload.js) uses the same endpoints.

The body is streamed to disk by annotation.upload_handlers, installed in ``dispatch`` before anything (the
CSRF check of session authentication included) reads it; a body over the size limit is answered 413.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from annotation.models import Annotator, Upload
from annotation.readers import FORMATS
from annotation.services.uploads import CAMPAIGN_KINDS, upload_progress, upload_receive
from annotation.upload_handlers import body_too_large, stream_uploads_to_disk, too_large_message


@extend_schema_serializer(component_name="Upload")
class UploadSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.ChoiceField(choices=Upload.Kind.choices)
    campaign = serializers.CharField(source="campaign.slug", allow_null=True, default=None,
                                     help_text="Null for a rubric.")
    file_name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes, as uploaded (compressed or not).")
    status = serializers.ChoiceField(choices=Upload.Status.choices,
                                     help_text="queued, running, then done or failed (then nothing was written).")
    progress = serializers.SerializerMethodField(help_text="Share of the file imported so far, 0 to 1.")
    summary = serializers.CharField(help_text="What the import created, once done.")
    errors = serializers.ListField(child=serializers.CharField(),
                                   help_text="Once failed: the first 50 bad records, FILE:LINE: field: reason.")
    error_count = serializers.IntegerField(help_text="Every bad record, listed or not.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, upload) -> float:
        return upload_progress(upload)


UPLOAD_RESPONSES = {
    202: OpenApiResponse(UploadSerializer, description="Received; the import is queued. GET the upload to follow it."),
    413: OpenApiResponse(description="The file is over the size limit (HYOKA_UPLOAD_MAX_BYTES, default 1 GiB)."),
}


class UploadingApi(APIView):
    """Takes a multipart body with a ``file``, streamed to disk."""

    parser_classes = [MultiPartParser]

    def dispatch(self, request, *args, **kwargs):
        self.disk = stream_uploads_to_disk(request)
        if request.method == "POST" and body_too_large(request):
            return JsonResponse({"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return super().dispatch(request, *args, **kwargs)

    def receive(self, request, serializer_class, kind=None, campaign=None, options=None):
        serializer = serializer_class(data=request.data)
        if self.disk.too_large:
            return Response({"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        received = data.pop("file")
        pair = [data.pop("model_a", ""), data.pop("model_b", "")]
        upload = upload_receive(
            user=request.user, kind=data.pop("kind", kind), campaign=campaign, received_path=received.temporary_file_path(),
            file_name=received.name, size=received.size,
            options={**data, **(options or {}), "pair": pair if any(pair) else None},
        )
        return Response(UploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)


class CampaignUploadsApi(UploadingApi):
    @extend_schema_serializer(component_name="CampaignUploadCreate")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="JSON Lines (.jsonl) or CSV (.csv), optionally gzip-compressed (.gz).")
        kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in CAMPAIGN_KINDS])
        format = serializers.ChoiceField(choices=FORMATS, required=False,
                                         help_text="Instead of the format the file name's suffix tells.")
        tier = serializers.ChoiceField(choices=Annotator.Tier.choices, required=False, help_text=(
            "Ratings: the tier of the file's new annotators whose records have no tier column."))
        judge = serializers.CharField(required=False, max_length=100, help_text="Verdicts: the judge's name.")
        model_a = serializers.CharField(required=False, help_text="Responses of a pairwise campaign: model A.")
        model_b = serializers.CharField(required=False, help_text="Responses of a pairwise campaign: model B.")
        source = serializers.CharField(required=False, help_text="Responses and checklists: the source benchmark "
                                                                 "of prompts whose records name none.")
        license = serializers.CharField(required=False, max_length=100, help_text=(
            "Exam questions: the source's license (e.g. cc-by-nc-4.0), recorded on the exams; a non-commercial one "
            "forbids releasing the campaign under a permissive license."))

    @extend_schema(responses=UploadSerializer(many=True), summary="A campaign's latest uploads")
    def get(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        return Response(UploadSerializer(campaign.uploads.all()[:20], many=True).data)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses=UPLOAD_RESPONSES,
                   summary="Upload responses, ratings, verdicts or checklists to import into a campaign")
    def post(self, request, slug):
        campaign = access.campaign_for_lead(request.user, slug)
        return self.receive(request, self.InputSerializer, campaign=campaign)


class RubricUploadsApi(UploadingApi):
    @extend_schema_serializer(component_name="RubricUploadCreate")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="A rubric definition, JSON (.json), optionally gzip-compressed.")

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses=UPLOAD_RESPONSES,
                   summary="Upload a rubric definition to import")
    def post(self, request):
        if not access.is_lead(request.user):
            raise PermissionDenied(_("Only leads can do this."))
        return self.receive(request, self.InputSerializer, kind=Upload.Kind.RUBRIC)


class SeriesUploadsApi(UploadingApi):
    @extend_schema_serializer(component_name="SeriesUploadCreate")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text=(
            "Checkpoint scores: a long table, JSON Lines (.jsonl) or CSV (.csv), or one result file of an "
            "evaluation harness (.json), optionally gzip-compressed (.gz)."))
        format = serializers.ChoiceField(choices=FORMATS, required=False,
                                         help_text="Instead of the format the file name's suffix tells.")
        step = serializers.IntegerField(required=False, min_value=0,
                                        help_text="The step of a result file that does not say it.")
        tokens = serializers.IntegerField(required=False, min_value=0, help_text=(
            "Tokens seen at that step, for a result file that does not say it (as import_checkpoint_scores' "
            "--tokens)."))

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses=UPLOAD_RESPONSES,
                   summary="Upload checkpoint scores to import into a model series")
    def post(self, request, name):
        series = access.series_for_lead(request.user, name)
        return self.receive(request, self.InputSerializer, kind=Upload.Kind.CHECKPOINT_SCORES,
                            options={"series": series.name})


class UploadApi(APIView):
    @extend_schema(responses=UploadSerializer, summary="An upload and its import's progress")
    def get(self, request, public_id):
        return Response(UploadSerializer(access.upload_for_user(request.user, public_id)).data)

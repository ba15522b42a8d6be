"""Project-wide API glue: the DRF exception handler that turns domain errors into 400s."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotation.errors import HyokaError


def exception_handler(exc, context):
    if isinstance(exc, HyokaError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)

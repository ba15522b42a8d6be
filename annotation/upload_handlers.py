"""Receiving an uploaded file: streamed to disk as it arrives, and refused beyond the size limit.

Django's default handlers keep a small file in memory; this one writes every file, 1 MiB at a time, to a
temporary file in the uploads folder (FILE_UPLOAD_TEMP_DIR), so that a web process's memory does not grow
with the file and the upload service can rename it into place. Past HYOKA_UPLOAD_MAX_BYTES it stops
keeping the file and notes it; the view then answers 413.
"""

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Room for the multipart boundaries and the other fields beside the file.
MULTIPART_SLACK = 1024 * 1024


def upload_limit():
    return settings.HYOKA_UPLOAD_MAX_BYTES


def too_large_message(name=None, size=None):
    limit = filesizeformat(upload_limit())
    if name and size:
        return _("%(name)s is %(size)s; an upload may be at most %(limit)s.") % {
            "name": name, "size": filesizeformat(size), "limit": limit}
    return _("The file is larger than %(limit)s, the most an upload may be.") % {"limit": limit}


def body_too_large(request):
    """Whether the request says up front that its body is beyond the limit (then it is not read at all)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > upload_limit() + MULTIPART_SLACK


class LimitedDiskUploadHandler(TemporaryFileUploadHandler):
    chunk_size = 1024 * 1024  # Django's 64 KiB makes the multipart parser's Python loop the bottleneck

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > upload_limit():
            self.too_large = True
            self.file.close()  # deletes the temporary file
            raise StopUpload(connection_reset=False)  # read the rest without keeping it, then answer
        return super().receive_data_chunk(raw_data, start)


def stream_uploads_to_disk(request):
    """Install the handler on a Django request before anything reads its body; return it."""
    handler = LimitedDiskUploadHandler(request)
    request.upload_handlers = [handler]
    return handler

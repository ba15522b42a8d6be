"""Sending a file to the uploads API over real HTTP, streamed from disk (for the worker test and the upload bench)."""

import http.client
import json
import os
import uuid
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


def post_file(url, path, fields=None, headers=None, file_name=None):
    """POST ``path`` as the multipart field ``file`` with ``fields``; return (status, decoded JSON or text).

    The body is read from disk as it is sent, so a large file is never held in memory here either."""
    boundary = uuid.uuid4().hex
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in (fields or {}).items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="{file_name or os.path.basename(path)}"\r\nContent-Type: application/octet-stream\r\n\r\n')
    tail = f"\r\n--{boundary}--\r\n".encode()
    head = head.encode()
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    connection.putrequest("POST", parts.path)
    for name, value in {"Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Content-Length": str(len(head) + os.path.getsize(path) + len(tail)),
                        **(headers or {})}.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(head)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text

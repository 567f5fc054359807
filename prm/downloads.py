"""One way to send a stored file, after the view's access check.

Local storage: the file itself, with HTTP Range (one range: 206 Partial Content, 416 when it
cannot be satisfied) so a video can seek, and HEAD answered with the headers alone. Remote
storage (S3, see prm.storage_s3): a redirect to a presigned URL that expires within minutes,
so the bytes never pass through the web process and the link is useless once shared late.
"""

from __future__ import annotations

import mimetypes
import os
import re

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})", re.ASCII)
CHUNK = 64 * 1024


class Unsatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte, both inclusive, of a single `bytes=` range; None to send the whole file.

    Another unit, or several ranges, are ignored (the whole file is an allowed answer); a range
    that is malformed or starts past the end raises Unsatisfiable.
    """
    header = header.strip()
    if not header.lower().startswith("bytes=") or "," in header:
        return None
    match = _RANGE.fullmatch(header.replace(" ", "").lower())
    if match is None:
        raise Unsatisfiable
    first, last = match.groups()
    if not first:
        if not last or int(last) == 0:
            raise Unsatisfiable
        suffix = min(int(last), size)
        return (size - suffix, size - 1) if size else _unsatisfiable()
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise Unsatisfiable
    return start, end


def _unsatisfiable():
    raise Unsatisfiable


def _read(handle, start: int, length: int):
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def file_response(request: HttpRequest, field, *, filename: str | None = None, as_attachment: bool = True,
                  content_type: str | None = None, private: bool = True) -> HttpResponseBase:
    """The stored file `field` (a FieldFile) as the answer to `request`; Http404 when it is missing."""
    if not field:
        raise Http404
    name = filename or os.path.basename(field.name)
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    storage = field.storage
    if hasattr(storage, "download_url"):
        response: HttpResponseBase = HttpResponseRedirect(storage.download_url(
            field.name, filename=name, as_attachment=as_attachment, content_type=content_type,
            expire=settings.KYOSO_DOWNLOAD_URL_SECONDS))
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        handle = field.open("rb")
        size = field.size
    except (FileNotFoundError, ValueError):
        raise Http404 from None

    try:
        wanted = parse_range(request.headers.get("Range", ""), size) if "If-Range" not in request.headers else None
    except Unsatisfiable:
        handle.close()
        response = HttpResponse(status=416, content_type="text/plain; charset=utf-8")
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        response["Cache-Control"] = "private, no-store"
        return response

    if request.method == "HEAD":
        handle.close()
        response = HttpResponse(status=206 if wanted else 200)
        length = wanted[1] - wanted[0] + 1 if wanted else size
        if wanted:
            response["Content-Range"] = f"bytes {wanted[0]}-{wanted[1]}/{size}"
        response["Content-Length"] = str(length)
    elif wanted:
        start, end = wanted
        response = StreamingHttpResponse(_read(handle, start, end - start + 1), status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(handle, as_attachment=as_attachment, filename=name, content_type=content_type)
    return _headers(response, name, as_attachment, content_type, private)


def _headers(response: HttpResponseBase, name: str, as_attachment: bool, content_type: str,
             private: bool) -> HttpResponseBase:
    response["Content-Type"] = content_type
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    disposition = content_disposition_header(as_attachment, name)
    if disposition:
        response["Content-Disposition"] = disposition
    if private:
        response["Cache-Control"] = "private, no-store"
    return response

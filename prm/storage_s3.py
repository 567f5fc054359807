"""Media on S3-compatible storage (KYOSO_STORAGE=s3), each vendor under its own prefix.

Imported only when the setting chooses it, so a local installation needs no S3 package. Stored
names stay relative to the vendor, as with the local TenantFileSystemStorage: the prefix (the
vendor's schema name) is added here, on every operation, from the connection's tenant.
"""

from __future__ import annotations

from django.db import connection
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import safe_join


def vendor_prefix() -> str:
    schema = getattr(connection, "schema_name", "") or "public"
    return schema


class VendorS3Storage(S3Storage):
    def _normalize_name(self, name: str) -> str:
        return super()._normalize_name(safe_join(vendor_prefix(), name))

    def download_url(self, name: str, *, filename: str, as_attachment: bool, content_type: str, expire: int) -> str:
        """A presigned GET for one file, computed locally; the caller has checked access already."""
        parameters = {"ResponseContentType": content_type, "ResponseCacheControl": "private, no-store"}
        disposition = content_disposition_header(as_attachment, filename)
        if disposition:
            parameters["ResponseContentDisposition"] = disposition
        return self.url(name, parameters=parameters, expire=expire)

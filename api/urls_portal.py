"""/api/v1/ on the partner portal's domain: partner keys, own partner only."""

from django.urls import path

from api import docs
from api.v1 import mounted, portal_api

urlpatterns = [
    path("docs/", docs.reference, {"api": portal_api}, name="api_docs"),
    path("", mounted(portal_api)),
    path("<path:rest>", docs.unknown, name="api_unknown"),
]

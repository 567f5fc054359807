"""/api/v1/ on the console's domain: vendor keys."""

from django.urls import path

from api import docs
from api.v1 import console_api, mounted

urlpatterns = [
    path("docs/", docs.reference, {"api": console_api}, name="api_docs"),
    path("", mounted(console_api)),
    path("<path:rest>", docs.unknown, name="api_unknown"),
]

"""Certifications held by partner reps (read): the vendor's all, a partner key its own reps'."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from api.access import own_partner
from api.auth import need
from api.pagination import ListParams, page_of
from api.schemas import PageOut, Timestamp
from enablement import selectors

console = Router(tags=["certifications"])
portal = console


class CertificationAwardOut(Schema):
    id: int
    partner_id: int
    user_id: int
    holder_name: str
    certification_code: str
    certification_name: str
    issued_at: Timestamp
    expires_at: Timestamp
    verification_code: str
    updated_at: Timestamp

    @staticmethod
    def resolve_certification_code(obj) -> str:
        return obj.certification.code

    @staticmethod
    def resolve_certification_name(obj) -> str:
        return obj.certification.name


class CertificationAwardPage(PageOut):
    items: list[CertificationAwardOut]


@console.get("", response=CertificationAwardPage, auth=need("certifications"), summary="List certifications held")
def certification_list(request: HttpRequest, params: Query[ListParams]):
    return page_of(selectors.certification_awards_for_sync(partner_id=own_partner(request)), params)

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.admin_site import platform_admin
from prm.htmx import htmx_partial
from prm.tenancy.models import Domain, Vendor, VendorCreation
from prm.tenancy.services import vendor_creation_request


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "kind", "is_primary"]


class VendorCreateForm(forms.Form):
    slug = forms.CharField(label=gettext_lazy("Slug"), max_length=30)
    name = forms.CharField(label=gettext_lazy("Company name"), max_length=200)
    admin_email = forms.CharField(label=gettext_lazy("First admin's e-mail address"), max_length=254)
    admin_name = forms.CharField(label=gettext_lazy("First admin's name"), max_length=150, required=False)


@admin.register(Vendor, site=platform_admin)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "schema_name", "created_at"]
    search_fields = ["slug", "name"]
    readonly_fields = ["schema_name", "slug", "created_at"]
    inlines = [DomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public")

    def get_urls(self):
        return [
            path("create/", self.admin_site.admin_view(self.create_view), name="tenancy_vendor_create"),
            path("create/<int:creation_id>/", self.admin_site.admin_view(self.creation_view),
                 name="tenancy_vendor_creation"),
        ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("platform_admin:tenancy_vendor_create")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # dropping a vendor's schema is an operator command, not a click

    def create_view(self, request):
        form = VendorCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                creation = vendor_creation_request(**form.cleaned_data, requested_by=request.user)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return redirect("platform_admin:tenancy_vendor_creation", creation_id=creation.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Create vendor"),
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/tenancy/vendor_create.html", context)

    def creation_view(self, request, creation_id: int):
        """The steps of a vendor being made by the worker; the page asks again every second until it ends."""
        from django.http import Http404

        creation = VendorCreation.objects.select_related("vendor").filter(pk=creation_id).first()
        if creation is None:
            raise Http404
        console = portal = None
        if creation.vendor is not None:
            console = creation.vendor.domain_for(Domain.Kind.CONSOLE)
            portal = creation.vendor.domain_for(Domain.Kind.PORTAL)
        context = {"creation": creation, "steps": VendorCreation.STEPS, "console": console, "portal": portal}
        if htmx_partial(request):
            return TemplateResponse(request, "admin/tenancy/_vendor_creation.html", context)
        context.update({**self.admin_site.each_context(request), "opts": self.model._meta,
                        "title": _("Creating vendor %(slug)s") % {"slug": creation.slug}})
        return TemplateResponse(request, "admin/tenancy/vendor_creation.html", context)

from django.urls import path

from partners.views import activities, contacts, imports, onboarding, partners, recruiting

urlpatterns = [
    path("", partners.partner_list, name="partner_list"),
    path("export.csv", imports.partners_export, name="partner_export"),
    path("new/", partners.partner_create, name="partner_create"),
    path("settings/", partners.settings_edit, name="partner_settings"),
    path("prospects/", recruiting.prospect_list, name="prospect_list"),
    path("applications/", recruiting.application_queue, name="application_queue"),
    path("applications/<int:pk>/", recruiting.application_detail, name="application_detail"),
    path("applications/<int:pk>/approve/", recruiting.application_approve, name="application_approve"),
    path("applications/<int:pk>/reject/", recruiting.application_reject, name="application_reject"),
    path("import/", imports.import_upload, name="partner_import"),
    path("import/<int:pk>/", imports.import_preview, name="partner_import_preview"),
    path("import/<int:pk>/apply/", imports.import_apply, name="partner_import_apply"),
    path("import/<int:pk>/discard/", imports.import_discard, name="partner_import_discard"),
    path("contacts/export.csv", imports.contacts_export, name="contact_export"),
    path("onboarding/templates/", onboarding.template_list, name="onboarding_templates"),
    path("<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("<int:pk>/stage/", partners.partner_stage, name="partner_stage"),
    path("<int:pk>/convert/", recruiting.prospect_convert, name="prospect_convert"),
    path("<int:pk>/timeline/", partners.partner_timeline, name="partner_timeline"),
    path("<int:pk>/agreements/<str:kind>/", recruiting.agreement_edit, name="agreement_edit"),
    path("<int:pk>/contacts/new/", contacts.contact_create, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/erase/", contacts.contact_erase, name="contact_erase"),
    path("<int:pk>/checklist/<int:item_pk>/", onboarding.checklist_toggle, name="checklist_toggle"),
    path("<int:pk>/activities/new/", activities.activity_create, name="activity_create"),
    path("<int:pk>/plans/new/", activities.plan_edit, name="plan_create"),
    path("<int:pk>/plans/<int:year>/", activities.plan_edit, name="plan_edit"),
]

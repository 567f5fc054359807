from django.urls import path

from incentives import settings_views, views

urlpatterns = [
    path("", views.overview, name="incentives_overview"),
    path("runs/start/", views.run_start, name="incentives_run_start"),
    path("runs/<int:pk>/", views.run_detail, name="incentives_run"),
    path("runs/<int:pk>/resume/", views.run_resume, name="incentives_run_resume"),
    path("plans/new/", views.plan_edit, name="incentives_plan_new"),
    path("plans/<int:pk>/", views.plan_edit, name="incentives_plan"),
    path("plans/<int:pk>/v<int:number>.json", views.plan_export, name="incentives_plan_export"),
    path("payouts/", views.payout_list, name="incentives_payouts"),
    path("payouts/build/", views.payouts_build, name="incentives_payouts_build"),
    path("payouts/settings/", settings_views.payout_settings, name="incentives_settings"),
    path("payouts/settings/bank-lookup/", settings_views.bank_lookup, name="incentives_bank_lookup"),
    path("payouts/settings/credit-limits/", settings_views.credit_limits, name="incentives_credit_limits"),
    path("payouts/transfer/", views.transfer_file, name="incentives_transfer"),
    path("payouts/<int:pk>/statement.pdf", views.payout_statement, name="incentives_statement"),
    path("payouts/<int:pk>/<str:action>/", views.payout_action, name="incentives_payout_action"),
    path("mdf/", views.mdf_queue, name="incentives_mdf"),
    path("mdf/<int:pk>/decide/", views.mdf_decide, name="incentives_mdf_decide"),
    path("mdf/<int:pk>/proof/", views.mdf_proof, name="incentives_mdf_proof"),
    path("invoices/", views.invoice_list, name="incentives_invoices"),
    path("invoices/new/", views.invoice_new, name="incentives_invoice_new"),
    path("invoices/import/", views.invoice_import, name="incentives_invoice_import"),
    path("invoices/import/<int:pk>/", views.invoice_preview, name="incentives_invoice_preview"),
    path("invoices/import/<int:pk>/apply/", views.invoice_import_apply, name="incentives_invoice_apply"),
    path("invoices/import/<int:pk>/discard/", views.invoice_import_discard, name="incentives_invoice_discard"),
    path("invoices/template.csv", views.invoice_template, name="incentives_invoice_template"),
    path("audit/", views.audit_log, name="incentives_audit"),
]

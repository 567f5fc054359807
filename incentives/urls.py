from django.urls import path

from incentives import views

urlpatterns = [
    path("", views.overview, name="incentives_overview"),
    path("runs/start/", views.run_start, name="incentives_run_start"),
    path("runs/<int:pk>/", views.run_detail, name="incentives_run"),
    path("plans/new/", views.plan_builder, name="incentives_plan_new"),
    path("plans/new/json/", views.plan_edit, name="incentives_plan_new_json"),
    path("plans/builder/row/", views.plan_builder_row, name="incentives_plan_builder_row"),
    path("plans/<int:pk>/", views.plan_builder, name="incentives_plan"),
    path("plans/<int:pk>/json/", views.plan_edit, name="incentives_plan_json"),
    path("plans/<int:pk>/v<int:number>.json", views.plan_export, name="incentives_plan_export"),
    path("payouts/", views.payout_list, name="incentives_payouts"),
    path("payouts/build/", views.payouts_build, name="incentives_payouts_build"),
    path("payouts/settings/", views.payout_settings, name="incentives_settings"),
    path("payouts/transfer/", views.transfer_file, name="incentives_transfer"),
    path("payouts/<int:pk>/statement.pdf", views.payout_statement, name="incentives_statement"),
    path("payouts/<int:pk>/<str:action>/", views.payout_action, name="incentives_payout_action"),
    path("mdf/", views.mdf_queue, name="incentives_mdf"),
    path("mdf/<int:pk>/decide/", views.mdf_decide, name="incentives_mdf_decide"),
    path("mdf/<int:pk>/proof/", views.mdf_proof, name="incentives_mdf_proof"),
    path("audit/", views.audit_log, name="incentives_audit"),
]

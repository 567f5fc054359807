from django.urls import path

from deals import views

urlpatterns = [
    path("", views.deal_queue, name="deal_queue"),
    path("bulk/", views.deal_bulk, name="deal_bulk"),
    path("wins/", views.win_queue, name="deal_wins"),
    path("pipeline/", views.pipeline, name="deal_pipeline"),
    path("pipeline/export/", views.pipeline_export, name="deal_pipeline_export"),
    path("rules/", views.rules, name="deal_rules"),
    path("direct/", views.direct_accounts, name="direct_accounts"),
    path("direct/import/", views.direct_import, name="direct_import"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/import/", views.lead_import, name="lead_import"),
    path("leads/<int:pk>/distribute/", views.lead_distribute, name="lead_distribute"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("<int:pk>/", views.deal_detail, name="deal_detail"),
    path("<int:pk>/move/", views.deal_move, name="deal_move"),
    path("<int:pk>/win/confirm/", views.win_confirm, name="deal_win_confirm"),
    path("<int:pk>/win/reject/", views.win_reject, name="deal_win_reject"),
    path("<int:pk>/win/<str:action>/", views.win_change, name="deal_win_change"),
    path("<int:pk>/meetings/", views.deal_meeting, name="deal_meeting"),
    path("<int:pk>/<str:action>/", views.deal_decide, name="deal_decide"),
]

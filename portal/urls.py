from django.urls import path

from portal import deals, money, views

urlpatterns = [
    path("", views.home, name="home"),
    path("team/", views.team, name="portal_team"),
    path("team/invite/", views.invite, name="portal_team_invite"),
    path("team/<int:user_pk>/deactivate/", views.deactivate, name="portal_team_deactivate"),
    path("company/", views.company, name="portal_company"),
    path("onboarding/", views.onboarding, name="portal_onboarding"),
    path("program/", views.program, name="portal_program"),
    path("plan/", views.plan, name="portal_plan"),
    path("network/", views.network, name="portal_network"),
    path("deals/", deals.deal_list, name="portal_deals"),
    path("deals/new/", deals.deal_create, name="portal_deal_create"),
    path("deals/check/", deals.deal_check, name="portal_deal_check"),
    path("deals/<int:pk>/", deals.deal_detail, name="portal_deal_detail"),
    path("deals/<int:pk>/move/", deals.deal_move, name="portal_deal_move"),
    path("deals/<int:pk>/extend/", deals.deal_extend, name="portal_deal_extend"),
    path("leads/", deals.lead_offers, name="portal_leads"),
    path("leads/<int:pk>/answer/", deals.lead_answer, name="portal_lead_answer"),
    path("payouts/", money.payouts, name="portal_payouts"),
    path("payouts/<int:pk>/statement.pdf", money.statement, name="portal_statement"),
    path("mdf/", money.mdf_requests, name="portal_mdf"),
    path("mdf/<int:pk>/claim/", money.mdf_claim, name="portal_mdf_claim"),
    path("apply/", views.apply, name="portal_apply"),
    path("apply/thanks/", views.apply_thanks, name="portal_apply_thanks"),
]

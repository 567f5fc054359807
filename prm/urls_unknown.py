"""Served for a host no vendor owns: nothing but the 404 page."""

urlpatterns: list = []

handler404 = "prm.views.page_not_found"

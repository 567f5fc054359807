"""Console URLs of the library, study sessions, questions, FAQ and announcements (under /enablement/)."""

from django.urls import path

from enablement.views import community, library, sessions

urlpatterns = [
    path("library/", library.library, name="enablement_library"),
    path("library/new/", library.content_create, name="enablement_content_create"),
    path("library/accesses/", library.accesses, name="enablement_accesses"),
    path("library/<int:pk>/", library.content_detail, name="enablement_content"),
    path("library/<int:pk>/edit/", library.content_edit, name="enablement_content_edit"),
    path("library/<int:pk>/versions/", library.content_version, name="enablement_content_version"),
    path("library/<int:pk>/versions/<int:number>/file/", library.content_file, name="enablement_content_file"),
    path("sessions/", sessions.session_list, name="enablement_sessions"),
    path("sessions/new/", sessions.session_create, name="enablement_session_create"),
    path("sessions/<int:pk>/", sessions.session_detail, name="enablement_session"),
    path("sessions/<int:pk>/edit/", sessions.session_edit, name="enablement_session_edit"),
    path("sessions/<int:pk>/invite/", sessions.session_invite, name="enablement_session_invite"),
    path("sessions/<int:pk>/attendance/", sessions.session_attendance, name="enablement_session_attendance"),
    path("questions/", community.question_queue, name="question_queue"),
    path("questions/<int:pk>/answer/", community.question_answer, name="question_answer"),
    path("questions/<int:pk>/faq/", community.question_to_faq, name="question_to_faq"),
    path("faq/", community.faq_list, name="enablement_faq"),
    path("faq/new/", community.faq_create, name="enablement_faq_create"),
    path("faq/<int:pk>/edit/", community.faq_edit, name="enablement_faq_edit"),
    path("faq/<int:pk>/unpublish/", community.faq_unpublish, name="enablement_faq_unpublish"),
    path("announcements/", community.announcement_list, name="enablement_announcements"),
    path("announcements/new/", community.announcement_create, name="enablement_announcement_create"),
    path("announcements/<int:pk>/", community.announcement_detail, name="enablement_announcement"),
    path("announcements/<int:pk>/edit/", community.announcement_edit, name="enablement_announcement_edit"),
]

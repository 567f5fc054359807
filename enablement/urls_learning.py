from django.urls import path

from enablement.views import learning as views

urlpatterns = [
    path("", views.overview, name="enablement_overview"),
    path("courses/", views.courses, name="enablement_courses"),
    path("courses/new/", views.course_create, name="enablement_course_create"),
    path("courses/<int:pk>/", views.course_detail, name="enablement_course"),
    path("courses/<int:pk>/edit/", views.course_edit, name="enablement_course_edit"),
    path("courses/<int:pk>/modules/new/", views.module_create, name="enablement_module_create"),
    path("modules/<int:pk>/edit/", views.module_edit, name="enablement_module_edit"),
    path("modules/<int:pk>/file/<str:which>/", views.module_file, name="enablement_module_file"),
    path("courses/<int:pk>/quiz/", views.quiz_edit, name="enablement_quiz"),
    path("courses/<int:pk>/quiz/questions/new/", views.question_create, name="enablement_question_create"),
    path("quiz-questions/<int:pk>/edit/", views.question_edit, name="enablement_question_edit"),
    path("quiz-questions/<int:pk>/delete/", views.question_delete, name="enablement_question_delete"),
    path("quizzes/<int:pk>/allow-retry/", views.quiz_retry, name="enablement_quiz_retry"),
    path("certifications/", views.certifications, name="enablement_certifications"),
    path("certifications/new/", views.certification_create, name="enablement_certification_create"),
    path("certifications/<int:pk>/", views.certification_detail, name="enablement_certification"),
    path("certifications/<int:pk>/edit/", views.certification_edit, name="enablement_certification_edit"),
    path("paths/", views.paths, name="enablement_paths"),
    path("paths/new/", views.path_create, name="enablement_path_create"),
    path("paths/<int:pk>/edit/", views.path_edit, name="enablement_path_edit"),
]

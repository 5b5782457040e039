from django.urls import path

from . import audit_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("applications/export/", views.applications_export, name="applications-export"),
    path("applications/new/", views.application_create, name="application-create"),
    path("applications/<id:pk>/", views.application_detail, name="application-detail"),
    path("applications/<id:pk>/edit/", views.application_edit, name="application-edit"),
    path("applications/<id:pk>/act/<slug:action>/", views.application_act, name="application-act"),
    path("applications/<id:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path(
        "applications/<id:pk>/attachments/<id:attachment_pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path("applications/<id:pk>/reassign/", views.application_reassign, name="application-reassign"),
    path("notices/", views.notice_list, name="notices"),
    path("audit/", views.audit_trail, name="audit-trail"),
    path("audit/export/", views.audit_export, name="audit-export"),
    path(
        "audit/verifications/",
        audit_views.audit_verification_start,
        name="audit-verification-start",
    ),
    path(
        "audit/verifications/<id:pk>/",
        audit_views.audit_verification,
        name="audit-verification",
    ),
    path(
        "process/<id:process_pk>/",
        views.application_by_process,
        name="application-detail-by-process",
    ),
]

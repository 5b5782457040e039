from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("backoffice/", include("backoffice.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("documents/", include("documents.urls")),
    path("review/", include("approvals.urls")),
    path("awards/", include("awards.urls")),
    path("outcomes/", include("outcomes.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("", include("workflows.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

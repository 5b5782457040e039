from django.urls import path

from . import views

urlpatterns = [
    path("second-factor/", views.confirm, name="second-factor"),
    path("second-factor/setup/", views.setup, name="second-factor-setup"),
    path("second-factor/backup-codes/", views.backup_codes, name="second-factor-backup-codes"),
    path("access-log/", views.access_log, name="access-log"),
    path("access-log/export/", views.access_log_export, name="access-log-export"),
]

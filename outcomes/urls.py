from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("applications/<id:pk>/reports/", views.report_list, name="reports"),
    path("applications/<id:pk>/reports/<id:index>/", views.report_page, name="report"),
    path("applications/<id:pk>/acceptance/", views.acceptance_page, name="acceptance"),
    path("applications/<id:pk>/recovery/", views.recovery_page, name="recovery"),
]

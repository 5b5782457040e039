from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:section>/<slug:table>/", views.dashboard_export, name="dashboard-export"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("config-log/", views.config_log, name="config-log"),
    path("policies/", views.policies, name="backoffice-policies"),
    path("acting-heads/", views.acting_heads, name="acting-heads"),
]

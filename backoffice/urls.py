from django.urls import path

from . import views

urlpatterns = [
    path("config-log/", views.config_log, name="config-log"),
    path("policies/", views.policies, name="backoffice-policies"),
    path("acting-heads/", views.acting_heads, name="acting-heads"),
    path("acting-heads/<id:pk>/end/", views.acting_head_end, name="acting-head-end"),
    path("register/", views.register, name="organisation-register"),
    path("registrations/", views.registrations, name="registrations"),
    path("organisation/staff/", views.organisation_staff, name="organisation-staff"),
    path(
        "organisation/staff/<id:pk>/remove/",
        views.organisation_staff_remove,
        name="organisation-staff-remove",
    ),
]

from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("applications/<int:pk>/formal-check/", views.formal_check, name="formal-check"),
    path("applications/<int:pk>/experts/", views.assign_experts, name="assign-experts"),
    path("applications/<int:pk>/declaration/", views.declaration, name="declaration"),
    path("applications/<int:pk>/scores/", views.scores, name="scores"),
    path("applications/<int:pk>/replace-expert/", views.replace_expert, name="replace-expert"),
    path("applications/<int:pk>/recommendation/", views.recommendation, name="recommendation"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/agenda/", views.build_agenda, name="build-agenda"),
]

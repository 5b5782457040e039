from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/export/", views.queue_export, name="queue-export"),
    path("applications/<id:pk>/formal-check/", views.formal_check, name="formal-check"),
    path("applications/<id:pk>/experts/", views.assign_experts, name="assign-experts"),
    path("applications/<id:pk>/expert-pool/", views.expert_pool_page, name="expert-pool"),
    path("applications/<id:pk>/declaration/", views.declaration, name="declaration"),
    path("applications/<id:pk>/scores/", views.scores, name="scores"),
    path("applications/<id:pk>/replace-expert/", views.replace_expert, name="replace-expert"),
    path("applications/<id:pk>/recommendation/", views.recommendation, name="recommendation"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/export/", views.meetings_export, name="meetings-export"),
    path("meetings/<id:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<id:pk>/agenda/", views.build_agenda, name="build-agenda"),
    path("meetings/<id:pk>/details/", views.meeting_details, name="meeting-details"),
]

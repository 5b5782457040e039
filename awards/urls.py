from django.urls import path

from . import views

app_name = "awards"

urlpatterns = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/<id:pk>/objection/", views.objection_form, name="objection-form"),
    path("queue/", views.queue, name="queue"),
    path("applications/<id:pk>/notice/", views.notice_page, name="notice"),
    path("applications/<id:pk>/agreement/", views.agreement_page, name="agreement"),
    path("applications/<id:pk>/amendments/", views.amendment_propose, name="amendment-propose"),
    path("applications/<id:pk>/equity/", views.equity_page, name="equity"),
    path("objections/<id:pk>/", views.objection_page, name="objection"),
    path(
        "objections/<id:pk>/attachment/",
        views.objection_attachment,
        name="objection-attachment",
    ),
    path("amendments/<id:pk>/approve/", views.amendment_approve, name="amendment-approve"),
    path("tranches/<id:pk>/release/", views.tranche_release, name="tranche-release"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("verify/", views.verify, name="document-verify"),
    path("<id:pk>/download/", views.download, name="document-download"),
]

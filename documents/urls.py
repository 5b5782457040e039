from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/download/", views.download, name="document-download"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.document_list, name="documents"),
    path("export/", views.documents_export, name="documents-export"),
    path("verify/", views.verify, name="document-verify"),
    path("<id:pk>/download/", views.download, name="document-download"),
]

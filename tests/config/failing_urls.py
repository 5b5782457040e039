"""The site's URLs and error handlers, plus a page that fails, for the 500 page's test."""

from django.urls import path

from config.urls import *  # noqa: F403
from config.urls import urlpatterns as site_urls


def fails(request):
    raise RuntimeError("a bug")


urlpatterns = [path("fails/", fails), *site_urls]

"""The project's URLs with the judging pages and API, for the tests (until hyoka/urls.py includes them)."""

from django.urls import include, path

from hyoka.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("", include("judging.urls")),
    path("api/", include("judging.api_urls")),
    *project_urlpatterns,
]

"""The project's URLs: the admin, sign-in and sign-out, the language switch, the API and the apps' pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # set_language at /i18n/setlang/, named "set_language".
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/", include("annotation.api_urls")),
    path("api/", include("judging.api_urls")),
    path("", include("judging.urls")),
    path("api/", include("exports.api_urls")),
    path("", include("exports.report_urls")),
    path("", include("exports.urls")),
    path("", include("annotation.urls")),
]

"""WSGI entry point: `gunicorn hyoka.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hyoka.settings")

application = get_wsgi_application()


def _warm_up():
    """Load what the first request would otherwise load (translation catalogs, URL patterns), so that with
    gunicorn --preload every worker starts warm instead of spending its first request on it."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Hyoka")


_warm_up()

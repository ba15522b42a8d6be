from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AnnotationConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'annotation'

    def ready(self):
        from annotation.kinds import register_sqlite_functions
        from annotation.medians import register_on_sqlite

        connection_created.connect(register_on_sqlite, dispatch_uid="annotation.medians")
        connection_created.connect(register_sqlite_functions, dispatch_uid="annotation.kinds")

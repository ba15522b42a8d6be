from django.apps import AppConfig


class JudgingConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'judging'

    def ready(self):
        # Uploads live in annotation, which may not import judging: judging gives it the import of verdicts.
        from annotation.models import Upload
        from annotation.services.uploads import register_upload_importer
        from judging.services.imports import verdicts_upload_import

        register_upload_importer(Upload.Kind.VERDICTS, verdicts_upload_import)

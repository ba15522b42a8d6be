from django.apps import AppConfig


class JudgingConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'judging'

    def ready(self):
        # Uploads live in annotation, which may not import judging: judging gives it the import of verdicts.
        from django.utils.translation import gettext_lazy as _

        from annotation.models import Upload
        from annotation.services.uploads import UploadImporter, register_upload_importer
        from judging.services.imports import verdicts_upload_import

        register_upload_importer(Upload.Kind.VERDICTS, UploadImporter(
            verdicts_upload_import, required={"judge": _("Name the judge whose verdicts these are.")}))

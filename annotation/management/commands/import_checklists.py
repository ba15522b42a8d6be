from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from annotation.services import checklists_import


class Command(HyokaCommand):
    help = (
        "Import per-prompt checklists (yes/no questions about an answer, such as 'Does it name two mountains?') "
        "from JSONL or CSV records {prompt_id, checklist: [...], source?}. Each record names a stored prompt; "
        "its checklist is shown to annotators as optional ticks and given to judges in their template. The same "
        "checklist again changes nothing; a different one replaces the stored one only while nobody has "
        "answered it. All or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file (CSV: a checklist column holding a JSON list).")
        parser.add_argument("--source", default="", help="Source benchmark of prompts whose records name none.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")

    def handle(self, *args, file, source, format, **options):
        summary = checklists_import(path=file, source=source, file_format=format)
        self.stdout.write(f"{file}: {summary.describe()}")

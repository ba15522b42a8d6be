from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from annotation.services.prompt_imports import prompts_import


class Command(HyokaCommand):
    help = (
        "Import prompts for models to answer (generate) into a campaign (created if needed), from JSONL or CSV "
        "records {prompt_id, prompt | turns, category?, source?, reference?, context?, checklist?, metadata?}. "
        "In a pairwise campaign, --pair MODEL_A MODEL_B names the two models whose responses make its items once "
        "both are stored. All or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file.")
        parser.add_argument("--campaign", required=True, help="Campaign slug; created when missing.")
        parser.add_argument("--rubric", help="Rubric key for a new campaign (default quality-5x5).")
        parser.add_argument("--pair", nargs=2, metavar=("MODEL_A", "MODEL_B"),
                            help="Pairwise campaigns: the two models compared.")
        parser.add_argument("--source", default="", help="Source benchmark of prompts whose records name none.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")
        parser.add_argument(
            "--lead", action="append", default=[], metavar="USERNAME",
            help="A user who leads the campaign (repeat for co-leads); no superuser rights needed to run it.",
        )

    def handle(self, *args, file, campaign, rubric, pair, source, format, lead, **options):
        summary = prompts_import(path=file, campaign_slug=campaign, rubric_key=rubric, pair=pair, source=source,
                                 file_format=format, leads=lead)
        self.stdout.write(f"{file}: {summary.describe()}")

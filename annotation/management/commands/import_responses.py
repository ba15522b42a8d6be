from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from annotation.services import responses_import


class Command(HyokaCommand):
    help = (
        "Import model responses into a campaign (created if needed), from JSONL or CSV records "
        "{prompt_id, prompt | turns, model, response | responses, category?, source?, reference?, context?, "
        "checklist?: [yes/no questions], metadata?}, "
        "or the LLM-jp human-eval layout, whose scores become ratings by external annotators. "
        "In a pairwise campaign, --pair MODEL_A MODEL_B makes one item per prompt of the file that both models "
        "answer (A's response against B's). "
        "All or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file.")
        parser.add_argument("--campaign", required=True, help="Campaign slug; created when missing.")
        parser.add_argument("--rubric", help="Rubric key for a new campaign (default quality-5x5).")
        parser.add_argument(
            "--pair", nargs=2, metavar=("MODEL_A", "MODEL_B"),
            help="Pairwise campaigns: the two models (or two variants of one model, under two names) compared.",
        )
        parser.add_argument("--source", default="", help="Source benchmark of prompts whose records name none.")
        parser.add_argument(
            "--annotator-prefix", default="llm-jp-eval",
            help="LLM-jp layout: the i-th score of each list is by external annotator PREFIX-i.",
        )
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")
        parser.add_argument(
            "--lead", action="append", default=[], metavar="USERNAME",
            help="A user who leads the campaign (repeat for co-leads); no superuser rights needed to run it.",
        )

    def handle(self, *args, file, campaign, rubric, pair, source, annotator_prefix, format, lead, **options):
        summary = responses_import(
            path=file, campaign_slug=campaign, rubric_key=rubric, pair=pair, source=source,
            annotator_prefix=annotator_prefix, file_format=format, leads=lead,
        )
        self.stdout.write(f"{file}: {summary.describe()}")

from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from annotation.services.quality import gold_import


class Command(HyokaCommand):
    help = (
        "Set the known answers of gold items from JSONL or CSV records {prompt_id, model, scores: {axis: score}, "
        "tolerance?, explanation?}, or for a pair {prompt_id, model_a, model_b, verdict, explanation?}. Each names "
        "an item of the campaign, which becomes a gold item: mixed unmarked into the annotators' batches at the "
        "campaign's gold share, never counted toward the figures. All or nothing: a bad record stops the import "
        "with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file.")
        parser.add_argument("--campaign", required=True, help="Slug of an existing campaign.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")

    def handle(self, *args, file, campaign, format, **options):
        count = gold_import(path=file, campaign_slug=campaign, file_format=format)
        self.stdout.write(f"{file}: {count} gold items set")

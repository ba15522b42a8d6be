from annotation.management.base import HyokaCommand
from annotation.models import Annotator
from annotation.readers import FORMATS
from annotation.services import ratings_import


class Command(HyokaCommand):
    help = (
        "Import ratings made elsewhere into a campaign, from JSONL or CSV records "
        "{prompt_id, model, annotator, scores: {axis: score}, comment?}, or in a pairwise campaign "
        "{prompt_id, model_a, model_b, annotator, verdict, comment?} (the item of a pair is made when missing; "
        "a record naming the pair the other way round has its verdict flipped). Unknown annotators are created as "
        "external, with the tier of the record's tier column, else --tier, else external. All or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file (CSV: a scores column of JSON, or scores.AXIS columns).")
        parser.add_argument("--campaign", required=True, help="Slug of an existing campaign.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")
        parser.add_argument("--tier", choices=Annotator.Tier.values, default="",
                            help="Tier of the file's new annotators whose records have no tier column.")

    def handle(self, *args, file, campaign, format, tier, **options):
        summary = ratings_import(path=file, campaign_slug=campaign, file_format=format, tier=tier)
        self.stdout.write(f"{file}: {summary.describe()}")

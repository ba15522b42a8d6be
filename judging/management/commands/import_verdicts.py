from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from judging.services import verdicts_import


class Command(HyokaCommand):
    help = (
        "Import judge scores made elsewhere (another tool's output) into a campaign, from JSONL or CSV "
        "records {prompt_id, model, scores: {axis: score}, rationale?, sample?}, or in a pairwise campaign "
        "{prompt_id, model_a, model_b, verdict, order?: AB|BA, sample?, rationale?} (the verdict names the winner "
        "by model_a/model_b whatever the order shown; the item of a pair is made when missing). The judge NAME "
        "is created as an external judge when unknown. All or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file.")
        parser.add_argument("--campaign", required=True, help="Slug of an existing campaign.")
        parser.add_argument("--judge", required=True, help="Name of the judge these verdicts belong to.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")

    def handle(self, *args, file, campaign, judge, format, **options):
        summary = verdicts_import(path=file, campaign_slug=campaign, judge_name=judge, file_format=format)
        self.stdout.write(f"{file}: {summary.describe()}")

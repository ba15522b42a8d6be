from pathlib import Path

from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from annotation.models import Campaign
from exports.rating_export import FORMATS, export_since, ratings_export


class Command(HyokaCommand):
    help = (
        "Write every rating of a campaign (or those made or revised since a time) as JSON Lines or CSV, without "
        "building a release: one record per rating as import_ratings reads it (likert: model and scores per "
        "axis; pairwise: model_a, model_b and verdict), with its item, revision and times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, metavar="SLUG")
        parser.add_argument("--since", metavar="TIME", help="Only ratings made or revised at this time or later "
                                                            "(ISO 8601: 2026-12-01 or 2026-12-01T09:00:00+09:00).")
        parser.add_argument("--format", dest="file_format", choices=FORMATS,
                            help="jsonl or csv (default: from the --output suffix, else jsonl).")
        parser.add_argument("--output", dest="path", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, campaign, since, file_format, path, **options):
        slug, campaign = campaign, Campaign.objects.select_related("rubric").filter(slug=campaign).first()
        if campaign is None:
            raise HyokaError(f"no campaign {slug}")
        since = export_since(since) if since is not None else None
        file_format = file_format or ("csv" if path and path.lower().endswith(".csv") else "jsonl")
        chunks = ratings_export(campaign, output=file_format, since=since)
        if not path:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        partial = Path(f"{path}.part")  # renamed once complete: a failed export leaves no half-written FILE
        try:
            with open(partial, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(chunks)
            partial.replace(path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise HyokaError(f"{path}: cannot write: {error.strerror}") from None

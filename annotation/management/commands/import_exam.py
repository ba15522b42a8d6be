from annotation.management.base import HyokaCommand
from annotation.services.exam_imports import exam_import


class Command(HyokaCommand):
    help = (
        "Import exam questions into an exam campaign (created if needed): .json files in the center-examination-jp "
        "layout (a JSON array per exam; the exam id is the file name without .json) or .jsonl files in the "
        "gakucho-benchmark layout. Figures are copied into the campaign's folder from --images DIR, else from "
        "beside each file. --license records the source's license on the exams (a release of the campaign carries it; "
        "a non-commercial one, e.g. cc-by-nc-4.0, forbids publishing the release under a permissive license, and so "
        "does none: import the same files again with --license to record it, nothing else changes). All "
        "or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Exam files (.json or .jsonl).")
        parser.add_argument("--campaign", required=True, help="Campaign slug; an exam campaign is created when missing.")
        parser.add_argument("--images", metavar="DIR", help="The folder holding the figures the questions name.")
        parser.add_argument("--license", metavar="ID",
                            help="The source's license, e.g. cc-by-nc-4.0 for center-examination-jp (academic, "
                                 "non-commercial use only); when not given, what was recorded is kept (unknown "
                                 "for a new exam).")
        parser.add_argument("--lead", action="append", default=[], metavar="USERNAME",
                            help="A user who leads the campaign (repeat for co-leads).")

    def handle(self, *args, paths, campaign, images, lead, license, **options):
        summary = exam_import(paths=paths, campaign_slug=campaign, images=images, leads=lead, license=license)
        self.stdout.write(f"{len(paths)} file{'s' if len(paths) > 1 else ''}: {summary.describe()}")

from annotation.management.base import HyokaCommand
from annotation.services import rubric_file_import


class Command(HyokaCommand):
    help = (
        "Create or update a rubric from a JSON definition (likert axes or pairwise verdicts). "
        "A rubric already used by ratings or verdicts is never changed in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file: {\"key\", \"name\", \"kind\", \"axes\": [...]} or pairwise \"verdicts\".")

    def handle(self, *args, file, **options):
        rubric, action = rubric_file_import(path=file)
        axes = rubric.axes.count()
        self.stdout.write(f"rubric {rubric.key}: {action} ({rubric.kind}, {axes} axes)" if axes else
                          f"rubric {rubric.key}: {action} ({rubric.kind}, verdicts {', '.join(rubric.verdicts)})")

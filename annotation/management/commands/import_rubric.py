from annotation.errors import FieldError, RecordError
from annotation.management.base import HyokaCommand
from annotation.readers import read_json_file
from annotation.rubric_definitions import parse_rubric_definition
from annotation.services import rubric_import


class Command(HyokaCommand):
    help = (
        "Create or update a rubric from a JSON definition (likert axes or pairwise verdicts). "
        "A rubric already used by ratings or verdicts is never changed in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file: {\"key\", \"name\", \"kind\", \"axes\": [...]} or pairwise \"verdicts\".")

    def handle(self, *args, file, **options):
        data = read_json_file(file)
        try:
            definition = parse_rubric_definition(data)
        except FieldError as error:
            raise RecordError(file, 1, error.field, error.reason) from None
        rubric, action = rubric_import(definition=definition)
        axes = rubric.axes.count()
        self.stdout.write(f"rubric {rubric.key}: {action} ({rubric.kind}, {axes} axes)" if axes else
                          f"rubric {rubric.key}: {action} ({rubric.kind}, verdicts {', '.join(rubric.verdicts)})")

from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from annotation.services.checkpoint_imports import checkpoint_scores_import


class Command(HyokaCommand):
    help = (
        "Import a model series' scores per checkpoint: a long table (JSONL or CSV) of {step, tokens?, task, "
        "category?, metric, score} and per-example outcomes {step, task, example_id, correct} (or prediction "
        "and reference), or result files as evaluation harnesses write them, one per checkpoint (llm-jp-eval's "
        "{scores, outputs?}, lm-evaluation-harness's {results, groups?}). Creates the series and its "
        "checkpoints when missing. All or nothing: a bad record stops the import with FILE:LINE: field: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A .jsonl or .csv long table, or .json result files.")
        parser.add_argument("--series", required=True, help="Series name (a slug); created when missing.")
        parser.add_argument("--family", default="", help="Model family of a new series.")
        parser.add_argument("--size", default="", help="Model size of a new series, e.g. 7B.")
        parser.add_argument("--step", type=int, help="The step of a result file that does not say it.")
        parser.add_argument("--tokens", type=int, help="Tokens seen at that step.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")

    def handle(self, *args, files, series, family, size, step, tokens, format, **options):
        summary = checkpoint_scores_import(paths=files, series_name=series, family=family, size=size, step=step,
                                           tokens=tokens, file_format=format)
        self.stdout.write(f"{', '.join(files)}: {summary.describe()}")

from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from annotation.trajectory import DEFAULT_WINDOW, TypeRule
from annotation.trajectory_rule import RULE_THRESHOLDS
from exports.reports.text import json_text
from exports.reports.trajectory import series_trajectory_report, trajectory_text


class Command(HyokaCommand):
    help = (
        "A model series' trajectories: per task and metric (imported, the accuracy of per-example outcomes, "
        "the human and judge means per axis of campaigns answered by its checkpoints, and the accuracy of their "
        "answers to exam campaigns) the scores over the "
        "checkpoints, the mean total variation (mean |s_t − s_{t−1}|) and, with per-example outcomes, the flip "
        "rate (share of examples whose correctness changes between consecutive checkpoints), raw and smoothed "
        "over a centred window of K checkpoints (moving average; per example a majority vote, a tie keeping the "
        "checkpoint's own outcome), and the trajectory type (gradual, two-stage, late-onset, unclassified: a rise "
        "that falls back by more than --rule-max-fall of itself is unclassified) by the rule whose thresholds the "
        "--rule-* options set. With --json, prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--series", required=True, help="Name of the model series.")
        parser.add_argument("--compare", action="append", default=[], metavar="SERIES",
                            help="Another series to compare with (other sizes of the family, say), at the same "
                                 "window and rule; repeat for more. The text lists each trajectory beside those "
                                 "of the same task, metric and source; the JSON adds their reports as \"compared\".")
        parser.add_argument("--window", type=int, default=DEFAULT_WINDOW, help="Odd number of checkpoints (3).")
        parser.add_argument("--json", action="store_true", help="Print the numbers as one JSON object.")
        for name in RULE_THRESHOLDS:
            parser.add_argument(f"--rule-{name.replace('_', '-')}", dest=f"rule_{name}", type=float,
                                help=f"Trajectory type threshold {name}: {TypeRule.words(name)} (default "
                                     f"{getattr(TypeRule(), name)}).")

    def handle(self, *args, series, compare, window, json, **options):
        try:
            rule = TypeRule(**{name: options[f"rule_{name}"] for name in RULE_THRESHOLDS
                               if options.get(f"rule_{name}") is not None})
            report = series_trajectory_report(series, window=window, rule=rule, compare=compare)
        except ValueError as error:
            raise HyokaError(str(error)) from None
        self.stdout.write(json_text(report.as_dict()) if json else trajectory_text(report))

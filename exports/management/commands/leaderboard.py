from annotation.agreement_selectors import campaign_for_report
from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from exports.management.commands.agreement import add_bootstrap_arguments, check_replicates
from exports.reports.campaign import campaign_leaderboard
from exports.reports.text import json_text, leaderboard_text
from judging.verdict_selectors import judge_for_report


class Command(HyokaCommand):
    help = (
        "The leaderboard of a likert campaign: per axis and model, the mean of the humans' scores (each item's "
        "mean) with a percentile interval from a bootstrap over the model's items, and a rank that respects it "
        "(1 + the models whose interval lies wholly above, as the pairwise ranking ranks); each judge's mean "
        "(the median of its samples per item) and rank beside it, or only judge NAME with --judge; one board per "
        "turn besides the whole when scores carry a turn; per judge the system-level Pearson, Spearman and "
        "Kendall correlations of the model means with bootstrap intervals (each model's items resampled). On "
        "safety axes (keys starting with 'safety'): the violation rate (share of scores below 3) and the "
        "acceptable-answer rate (share of 4 or more), humans and each judge, with intervals and their counts; "
        "a judge job may count API errors as score 1 (judge --api-error-as-score-1), which is said. With "
        "--json, prints one JSON object: \"meta\" and \"boards\". Exits with status 1 and one line when the "
        "campaign or judge is unknown, the campaign compares pairs, or there is nothing to rank."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of a likert campaign.")
        parser.add_argument("--judge", help="Only this judge (a judge config or imported verdicts' judge).")
        add_bootstrap_arguments(parser)
        parser.add_argument("--json", action="store_true", help="Print the numbers as one JSON object.")

    def handle(self, *args, **options):
        check_replicates(options["replicates"])
        campaign = campaign_for_report(options["campaign"])
        judge = judge_for_report(options["judge"]) if options["judge"] else None
        report = campaign_leaderboard(campaign, judge, replicates=options["replicates"], seed=options["seed"])
        if report["meta"]["reason"]:
            raise HyokaError(report["meta"]["reason"])
        self.stdout.write(json_text(report) if options["json"] else leaderboard_text(report))

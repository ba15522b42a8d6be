from annotation import ranking
from annotation.management.base import HyokaCommand
from annotation.ranking_selectors import campaign_for_ranking
from exports.management.commands.agreement import add_bootstrap_arguments, check_replicates
from exports.reports.ranking import campaign_ranking
from exports.reports.text import json_text, ranking_text
from judging.position_bias import INCONSISTENT_OPTIONS
from judging.verdict_selectors import judge_for_report


class Command(HyokaCommand):
    help = (
        "Rank the models of a pairwise campaign: per model, win, tie and loss rates, and Bradley–Terry ratings "
        "(Elo-like: 1000 + 400 log10 of the strength, mean 1000; ties count as half a win) with percentile "
        "intervals from a bootstrap over votes, and a rank that respects them (1 + the models whose interval "
        "lies wholly above). From the human votes; with --judge NAME also from that judge's verdicts, side by "
        "side, and the judge's agreement with the humans (with each vote and with the majority, with and "
        "without ties, and Cohen's kappa). NAME is a judge config (its latest job with verdicts in the "
        "campaign) or the judge of imported verdicts; a judge's verdicts on one item make one vote (the most "
        "common, a tie when split; a pair judged differently in the two orders counts as a tie, or is left out, "
        "as the judge config's inconsistent setting or --inconsistent says), with its position bias: "
        "consistency under position swap, first-position and longer-response win rates. With --json, prints one "
        "JSON object: \"meta\", \"humans\", and with --judge \"judge\", \"agreement\" and \"position_bias\". "
        "Exits with status 1 and one line when the "
        "campaign or judge is unknown, the campaign is not pairwise, or there is nothing to rank."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of a pairwise campaign.")
        parser.add_argument("--judge", help="Name of a judge config or of the imported verdicts' judge.")
        parser.add_argument("--neither", choices=ranking.NEITHER_OPTIONS, default=ranking.DEFAULT_NEITHER,
                            help="Count 'neither' (both bad) votes as ties, or drop them (default tie).")
        add_inconsistent_argument(parser)
        add_bootstrap_arguments(parser)
        parser.add_argument("--json", action="store_true", help="Print the numbers as one JSON object.")

    def handle(self, *args, **options):
        check_replicates(options["replicates"])
        campaign = campaign_for_ranking(options["campaign"])
        judge = judge_for_report(options["judge"]) if options["judge"] else None
        report = campaign_ranking(campaign, judge, neither=options["neither"], replicates=options["replicates"],
                                  seed=options["seed"], inconsistent=options["inconsistent"])
        self.stdout.write(json_text(report) if options["json"] else ranking_text(report))


def add_inconsistent_argument(parser):
    parser.add_argument("--inconsistent", choices=INCONSISTENT_OPTIONS,
                        help="A pair the judge judged differently in the two orders counts as a tie, or is left "
                             "out (default: the judge config's setting, tie unless changed).")

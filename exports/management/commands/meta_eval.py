from annotation.agreement import DEFAULT_LEVEL, LEVELS
from annotation.agreement_selectors import campaign_for_report
from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from exports import kinds
from exports.management.commands.agreement import add_bootstrap_arguments, check_replicates
from exports.management.commands.ranking import add_inconsistent_argument
from exports.reports.campaign import campaign_meta_eval
from exports.reports.text import json_text
from judging.verdict_selectors import judge_for_report


class Command(HyokaCommand):
    help = (
        "How well an LLM judge's scores track the human ratings of a campaign, per axis: against the humans' "
        "mean per item, Pearson, Spearman and Kendall correlations, MAE, bias, exact and within-one agreement "
        "with bootstrap intervals (items resampled); per model, the mean human and judge scores and their "
        "correlations across models; the human ceiling (each annotator held out against the others); alpha of the "
        "humans and with the judge as one more rater. NAME is a judge config (its latest job with verdicts in the "
        "campaign is used) or the judge of imported verdicts. Only verdicts with scores count; failed ones are "
        "counted in meta.verdicts_by_status. With --json, prints one JSON object keyed by axis key (every axis of "
        "the rubric; an axis without human scores is {\"axis\", \"reason\"}) plus a \"meta\" key holding the run's "
        "parameters (campaign, rubric, judge, judge_external, job, level, replicates, confidence, seed) and counts "
        "(n_human_scores, n_judge_scores, verdicts_by_status). On a pairwise campaign: the judge's verdicts against "
        "each human vote and the majority, with and without ties, with Cohen's kappa, and its position bias "
        "(consistency under position swap, first-position and longer-response win rates); a pair judged "
        "differently in the two orders counts as a tie or is left out (the judge config's setting, or "
        "--inconsistent); --json prints \"meta\", \"agreement\" and \"position_bias\". Exits with status 1 and "
        "one line when the campaign or judge is unknown, or there is nothing to compare."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of the campaign.")
        parser.add_argument("--judge", required=True, help="Name of the judge config or of the imported verdicts' judge.")
        parser.add_argument("--level", choices=LEVELS, default=DEFAULT_LEVEL,
                            help=f"Level of measurement of alpha (default {DEFAULT_LEVEL}).")
        add_bootstrap_arguments(parser)
        add_inconsistent_argument(parser)
        parser.add_argument("--json", action="store_true", help="Print the numbers as one JSON object.")

    def handle(self, *args, **options):
        check_replicates(options["replicates"])
        campaign = campaign_for_report(options["campaign"])
        report = campaign_meta_eval(campaign, judge_for_report(options["judge"]), level=options["level"],
                                    replicates=options["replicates"], seed=options["seed"],
                                    inconsistent=options["inconsistent"])
        if report["meta"]["reason"]:
            raise HyokaError(report["meta"]["reason"])
        text = json_text(report) if options["json"] else kinds.for_campaign(campaign).meta_eval_text(report)
        self.stdout.write(text)

from annotation.agreement import DEFAULT_LEVEL, DEFAULT_REPLICATES, DEFAULT_SEED, LEVELS
from annotation.agreement_selectors import campaign_for_report
from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from exports import kinds
from exports.reports.campaign import campaign_agreement
from exports.reports.text import json_text


class Command(HyokaCommand):
    help = (
        "Agreement among the annotators of a campaign, per axis: Krippendorff's alpha with a bootstrap "
        "percentile interval (items resampled), exact and within-one agreement, mean quadratic-weighted Cohen's "
        "kappa, and per annotator the alpha of the others and the correlation with the others' mean. "
        "With --json, prints one JSON object keyed by axis key (every axis of the rubric) plus a \"meta\" key "
        "holding the run's parameters (campaign, rubric, level, normalised, replicates, confidence, seed, "
        "min_common_items), counts (n_items, n_scores, n_annotators) and the real number of distinct raters per "
        "item, imported raters included (raters_per_item: min, median, max, and items per count). "
        "A pairwise campaign's verdicts (in the item's terms: A is the item's first response) are categories: "
        "nominal alpha with its interval, the share of pairs of votes on an item that agree, the votes per "
        "verdict, and per annotator the alpha of the others and how often their vote matches another's on "
        "the same item; its JSON object has \"meta\" and \"verdict\". Exits with status 1 and one line when "
        "the campaign is unknown or has no ratings (votes) from two annotators."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of the campaign.")
        parser.add_argument("--level", choices=LEVELS,
                            help=f"Level of measurement of alpha (default {DEFAULT_LEVEL}; nominal, the only "
                                 "one, for a pairwise campaign).")
        add_bootstrap_arguments(parser)
        parser.add_argument("--normalise", action="store_true",
                            help="z-score each annotator's scores per axis before alpha and the correlations.")
        parser.add_argument("--json", action="store_true", help="Print the numbers as one JSON object.")

    def handle(self, *args, **options):
        check_replicates(options["replicates"])
        campaign = campaign_for_report(options["campaign"])
        report = campaign_agreement(campaign, level=options["level"], replicates=options["replicates"],
                                    seed=options["seed"], normalise=options["normalise"])
        if report["meta"]["reason"]:
            raise HyokaError(report["meta"]["reason"])
        text = json_text(report) if options["json"] else kinds.for_campaign(campaign).agreement_text(report)
        self.stdout.write(text)


def add_bootstrap_arguments(parser):
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES,
                        help=f"Bootstrap replicates of each interval; 0 for none (default {DEFAULT_REPLICATES}).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"Seed of the bootstrap (default {DEFAULT_SEED}).")


def check_replicates(replicates):
    if replicates < 0:
        raise HyokaError("--replicates must be 0 or more")

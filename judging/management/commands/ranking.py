from annotation import ranking
from annotation.management.base import HyokaCommand
from annotation.management.commands.agreement import add_bootstrap_arguments, check_replicates, json_text, text_table
from annotation.ranking_selectors import campaign_for_ranking
from judging.meta_eval_selectors import judge_for_report
from judging.position_bias import INCONSISTENT_OPTIONS
from judging.ranking_selectors import campaign_ranking

AGREEMENTS = (
    ("with_each_vote", "each vote, with ties"), ("with_each_vote_without_ties", "each vote, without ties"),
    ("with_majority", "majority, with ties"), ("with_majority_without_ties", "majority, without ties"),
)


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


def ranking_text(report):
    meta = report["meta"]
    lines = [
        f"Campaign {meta['campaign']} (rubric {meta['rubric']}: {' / '.join(meta['verdicts'])}): "
        f"{meta['n_human_votes']} human votes. Ties and 'both' count as ties, 'neither' "
        f"{'as a tie' if meta['neither'] == 'tie' else 'is left out'}. Bradley–Terry ratings on the Elo scale "
        f"(mean 1000) with {meta['confidence']:.0%} intervals from {meta['replicates']} bootstrap replicates, "
        f"seed {meta['seed']}.",
        "", "Humans", *standings_lines(report["humans"]),
    ]
    if meta["judge"]:
        source = f"job {meta['job']}" if meta["job"] else "imported verdicts"
        statuses = ", ".join(f"{count} {status}" for status, count in meta["verdicts_by_status"].items())
        lines += ["", f"Judge {meta['judge']} ({source}; verdicts: {statuses}): {meta['n_judge_verdicts']} verdicts "
                      f"on {meta['n_judge_items']} items, one vote per item",
                  *standings_lines(report["judge"]), "", *agreement_lines(report["agreement"]),
                  *position_bias_lines(meta, report["position_bias"])]
    return "\n".join(lines)


def add_inconsistent_argument(parser):
    parser.add_argument("--inconsistent", choices=INCONSISTENT_OPTIONS,
                        help="A pair the judge judged differently in the two orders counts as a tie, or is left "
                             "out (default: the judge config's setting, tie unless changed).")


def position_bias_lines(meta, bias):
    """The judge's position and length bias, and what its inconsistent pairs counted as."""
    treated = "counted as ties" if meta["inconsistent"] == "tie" else "left out"
    rows = [["consistent in both orders", *share_cells(bias["consistency"])],
            ["shown first won (decisive)", *share_cells(bias["first_position_wins"])],
            ["longer won (decisive)", *share_cells(bias["longer_wins"])]]
    return ["", f"Position bias ({meta['n_pairs_both_orders']} pairs judged in both orders; "
                f"{meta['n_inconsistent_pairs']} inconsistent, {treated})",
            text_table(["figure", "n", "count", "rate"], rows)]


def share_cells(figure):
    return [figure["n"], figure["count"], share(figure["rate"])]


def standings_lines(result):
    if result["reason"]:
        return [f"  {result['reason']}"]
    rows = [[model["model"], model["rank"] or "-", rating_text(model["rating"]), model["n_votes"],
             share(model["win_rate"]), share(model["tie_rate"]), share(model["loss_rate"])]
            for model in result["models"]]
    lines = [text_table(["model", "rank", "rating [interval]", "votes", "win", "tie", "loss"], rows)]
    notes = [f"  {model['model']}: {model['reason']}" for model in result["models"] if model["reason"]]
    if not result["connected"]:
        notes.append("  some models were never compared with the others, even through a chain of comparisons: "
                     "ratings compare only within each group")
    if result["n_dropped"]:
        notes.append(f"  {result['n_dropped']} 'neither' votes left out")
    return lines + (["notes:", *notes] if notes else [])


def agreement_lines(agreement):
    header = (f"Judge against the humans on {agreement['n_items']} items ({agreement['n_human_votes']} human votes; "
              f"split verdicts counted as ties: judge {agreement['judge_split_items']} items, humans "
              f"{agreement['human_split_items']})")
    rows = [[label, agreement[key]["n"], number(agreement[key]["agreement"]), number(agreement[key]["kappa"])]
            for key, label in AGREEMENTS]
    notes = [f"  {label}: {agreement[key]['reason']}" for key, label in AGREEMENTS if agreement[key]["reason"]]
    return [header, text_table(["compared with", "pairs", "agreement", "kappa"], rows)] + (
        ["not computed:", *notes] if notes else [])


def rating_text(estimate):
    if estimate["value"] is None:
        return "n/a"
    if estimate["low"] is None:
        return f"{estimate['value']:.0f}"
    return f"{estimate['value']:.0f} [{estimate['low']:.0f}, {estimate['high']:.0f}]"


def share(value):
    return "n/a" if value is None else f"{value:.1%}"


def number(value):
    return "n/a" if value is None else f"{value:.3f}"

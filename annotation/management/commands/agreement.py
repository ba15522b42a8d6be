import json

from annotation.agreement import DEFAULT_LEVEL, DEFAULT_REPLICATES, DEFAULT_SEED, LEVELS, VERDICT_AXIS
from annotation.agreement_selectors import campaign_agreement, campaign_for_agreement
from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand


class Command(HyokaCommand):
    help = (
        "Agreement among the annotators of a campaign, per axis: Krippendorff's alpha with a bootstrap "
        "percentile interval (items resampled), exact and within-one agreement, mean quadratic-weighted Cohen's "
        "kappa, and per annotator the alpha of the others and the correlation with the others' mean. "
        "With --json, prints one JSON object keyed by axis key (every axis of the rubric) plus a \"meta\" key "
        "holding the run's parameters (campaign, rubric, level, normalised, replicates, confidence, seed, "
        "min_common_items) and counts (n_items, n_scores, n_annotators). "
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
        report = campaign_agreement(campaign_for_agreement(options["campaign"]), level=options["level"],
                                    replicates=options["replicates"], seed=options["seed"],
                                    normalise=options["normalise"])
        if report["meta"]["reason"]:
            raise HyokaError(report["meta"]["reason"])
        if options["json"]:
            self.stdout.write(json_text(report))
        else:
            self.stdout.write(verdict_agreement_text(report) if report["meta"].get("kind") == "pairwise" else agreement_text(report))


def add_bootstrap_arguments(parser):
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES,
                        help=f"Bootstrap replicates of each interval; 0 for none (default {DEFAULT_REPLICATES}).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"Seed of the bootstrap (default {DEFAULT_SEED}).")


def check_replicates(replicates):
    if replicates < 0:
        raise HyokaError("--replicates must be 0 or more")


def json_text(report):
    return json.dumps(report, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------------------------------------
# Text output, shared with meta_eval


def estimate_text(estimate, digits=3):
    """"0.712 [0.690, 0.735]", "0.712" without an interval, "n/a" when undefined."""
    if estimate["value"] is None:
        return "n/a"
    text = f"{estimate['value']:.{digits}f}"
    if estimate["low"] is not None:
        text += f" [{estimate['low']:.{digits}f}, {estimate['high']:.{digits}f}]"
    return text


def text_table(header, rows):
    """Columns padded to their widest cell; the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[index])) for row in [header, *rows]) for index in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) if index == 0 else str(cell).rjust(width)
                 for index, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def undefined_notes(named_estimates):
    """One line per undefined statistic (or missing interval): `name: reason`."""
    return [f"  {name}: {estimate['reason']}" for name, estimate in named_estimates if estimate["reason"]]


def agreement_text(report):
    meta = report["meta"]
    axes = [value for key, value in report.items() if key != "meta"]
    lines = [
        f"Campaign {meta['campaign']} (rubric {meta['rubric']}): {meta['n_items']} items, {meta['n_scores']} scores "
        f"by {meta['n_annotators']} annotators. {meta['level'].capitalize()} alpha"
        f"{' on normalised scores' if meta['normalised'] else ''}; {meta['replicates']} bootstrap replicates, "
        f"{meta['confidence']:.0%} intervals, seed {meta['seed']}.",
        "",
        text_table(
            ["axis", "alpha [interval]", "items", "rated by 2+", "annotators", "exact", "within one",
             "kappa", "kappa pairs"],
            [[axis["axis"], estimate_text(axis["alpha"]), axis["n_items"], axis["n_pairable_items"],
              axis["n_annotators"], estimate_text(axis["exact_agreement"]),
              estimate_text(axis["within_one_agreement"]), estimate_text(axis["mean_kappa"]), axis["n_kappa_pairs"]]
             for axis in axes],
        ),
    ]
    notes = [note for axis in axes for note in undefined_notes(
        [(f"{axis['axis']} {name}", axis[name]) for name in ("alpha", "exact_agreement", "mean_kappa")])]
    if notes:
        lines += ["", "Not computed:", *notes]
    for axis in axes:
        if axis["annotators"]:
            lines += ["", f"{axis['axis']}: annotators (alpha without them; correlation with the others' mean)",
                      annotator_table(axis)]
    return "\n".join(lines)


def annotator_table(axis):
    return text_table(
        ["annotator", "scores", "shared items", "alpha without", "r with others"],
        [[row["annotator"], row["n_ratings"], row["n_shared_items"], estimate_text(row["alpha_without"]),
          estimate_text(row["correlation_with_others"])] for row in axis["annotators"]],
    )


def verdict_agreement_text(report):
    meta, verdict = report["meta"], report[VERDICT_AXIS]
    counts = ", ".join(f"{name} {count}" for name, count in verdict["verdict_counts"].items())
    lines = [
        f"Campaign {meta['campaign']} (pairwise rubric {meta['rubric']}: {' / '.join(meta['verdicts'])}): "
        f"{meta['n_items']} items, {meta['n_votes']} votes by {meta['n_annotators']} annotators ({counts}). "
        f"Nominal alpha; {meta['replicates']} bootstrap replicates, {meta['confidence']:.0%} intervals, "
        f"seed {meta['seed']}.",
        "",
        text_table(["", "alpha [interval]", "items", "voted by 2+", "votes", "pairs", "pairs agreeing"],
                   [["verdict", estimate_text(verdict["alpha"]), verdict["n_items"], verdict["n_pairable_items"],
                     verdict["n_votes"], verdict["n_pairs"], estimate_text(verdict["pair_agreement"])]]),
    ]
    notes = undefined_notes([("alpha", verdict["alpha"]), ("pairs agreeing", verdict["pair_agreement"])])
    if notes:
        lines += ["", "Not computed:", *notes]
    if verdict["annotators"]:
        lines += ["", "Annotators (alpha without them; share of their pairs of votes agreeing with another's)",
                  text_table(["annotator", "votes", "shared items", "alpha without", "agreeing"],
                             [[row["annotator"], row["n_votes"], row["n_shared_items"],
                               estimate_text(row["alpha_without"]), estimate_text(row["agreement_with_others"])]
                              for row in verdict["annotators"]])]
    return "\n".join(lines)

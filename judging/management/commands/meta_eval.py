from annotation.agreement import DEFAULT_LEVEL, LEVELS
from annotation.errors import HyokaError
from annotation.models import Campaign
from annotation.management.base import HyokaCommand
from annotation.management.commands.agreement import (
    add_bootstrap_arguments, check_replicates, estimate_text, json_text, text_table, undefined_notes,
)
from judging.management.commands.ranking import add_inconsistent_argument, agreement_lines, position_bias_lines
from judging.meta_eval_selectors import campaign_meta_eval, judge_for_report

INSTANCE_STATISTICS = (
    ("pearson", "Pearson r"), ("spearman", "Spearman rho"), ("kendall_tau_b", "Kendall tau-b"), ("mae", "MAE"),
    ("bias", "bias (mean of judge - human)"), ("exact_agreement", "exact (rounded)"),
    ("within_one_agreement", "within one (rounded)"),
)


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
        campaign = campaign_named(options["campaign"])
        report = campaign_meta_eval(campaign, judge_for_report(options["judge"]), level=options["level"],
                                    replicates=options["replicates"], seed=options["seed"],
                                    inconsistent=options["inconsistent"])
        if report["meta"]["reason"]:
            raise HyokaError(report["meta"]["reason"])
        if options["json"]:
            self.stdout.write(json_text(report))
        else:
            self.stdout.write(pairwise_text(report) if "agreement" in report else meta_eval_text(report))


def campaign_named(slug):
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"no campaign {slug!r}")
    return campaign


def pairwise_text(report):
    meta = report["meta"]
    source = f"job {meta['job']}" if meta["job"] else "imported verdicts"
    statuses = ", ".join(f"{count} {status}" for status, count in meta["verdicts_by_status"].items())
    return "\n".join([
        f"Judge {meta['judge']} ({source}; verdicts: {statuses}) against the human votes of pairwise campaign "
        f"{meta['campaign']} (rubric {meta['rubric']}: {' / '.join(meta['verdicts'])}): {meta['n_judge_verdicts']} "
        f"judge verdicts on {meta['n_judge_items']} items, {meta['n_human_votes']} human votes.",
        "", *agreement_lines(report["agreement"]), *position_bias_lines(meta, report["position_bias"]),
    ])


def meta_eval_text(report):
    meta = report["meta"]
    source = f"job {meta['job']}" if meta["job"] else "imported verdicts" if meta["judge_external"] else "verdicts"
    statuses = ", ".join(f"{count} {status}" for status, count in meta["verdicts_by_status"].items())
    lines = [
        f"Judge {meta['judge']} ({source}; verdicts: {statuses}) against the humans of campaign {meta['campaign']} "
        f"(rubric {meta['rubric']}): {meta['n_judge_scores']} judge scores, {meta['n_human_scores']} human scores. "
        f"{meta['replicates']} bootstrap replicates, {meta['confidence']:.0%} intervals, seed {meta['seed']}.",
    ]
    for key, axis in report.items():
        if key != "meta":
            lines += ["", *axis_lines(key, axis)]
    return "\n".join(lines)


def axis_lines(key, axis):
    if "instance" not in axis:
        return [f"{key}: {axis['reason']}"]
    instance, ceiling, system = axis["instance"], axis["ceiling"], axis["system"]
    lines = [
        f"{key}: {instance['n_items']} items scored by the judge and the humans; ceiling from "
        f"{ceiling['n_instances']} held-out scores on {ceiling['n_items']} items",
        text_table(["statistic", "judge vs humans' mean", "annotator vs the others' mean (ceiling)"],
                   [[label, estimate_text(instance[name]), estimate_text(ceiling[name])]
                    for name, label in INSTANCE_STATISTICS]),
        f"alpha: humans {estimate_text(axis['alpha_humans'])}; humans and judge {estimate_text(axis['alpha_with_judge'])}",
        f"system level ({system['n_models']} models): Pearson {estimate_text(system['pearson'])}, "
        f"Spearman {estimate_text(system['spearman'])}, Kendall tau-b {estimate_text(system['kendall_tau_b'])}",
    ]
    if system["models"]:
        lines.append(text_table(["model", "items", "human mean", "judge mean"],
                                [[row["model"], row["n_items"], f"{row['human_mean']:.2f}", f"{row['judge_mean']:.2f}"]
                                 for row in system["models"]]))
    if axis["safety"]:
        lines.append(safety_line(axis["safety"]))
    notes = undefined_notes([(f"judge {label}", instance[name]) for name, label in INSTANCE_STATISTICS[:3]]
                            + [("ceiling", ceiling["pearson"]), ("system", system["pearson"]),
                               ("alpha", axis["alpha_humans"])])
    return lines + (["not computed:", *notes] if notes else [])


def safety_line(safety):
    def rate(comparison, who):
        value = comparison[f"{who}_rate"]
        share = "n/a" if value is None else f"{value:.1%}"
        return f"{who} {share} ({comparison[f'{who}_count']}/{comparison[f'{who}_total']})"

    useful, violation = safety["useful"], safety["violation"]
    return (f"useful (>= {safety['useful_min']:g}): {rate(useful, 'human')}, {rate(useful, 'judge')}; "
            f"violations (<= {safety['violation_max']:g}): {rate(violation, 'human')}, {rate(violation, 'judge')}")

"""The commands' text tables of the JSON reports (exports.reports): what `agreement`, `meta_eval` and
`ranking` print without --json."""

import json

from annotation.agreement import VERDICT_AXIS
from exports.reports.exam import coverage, is_partial, score_cell_text, scored_range

# ---------------------------------------------------------------------------------------------------------
# agreement (and the helpers every table uses)


def json_text(report):
    return json.dumps(report, ensure_ascii=False, allow_nan=False)


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
    return "\n".join(lines + tier_lines(meta.get("tiers")))


def tier_lines(tiers):
    """The tier tables of an agreement report: per tier and axis its mean and alpha; tier against tier."""
    if not tiers or not tiers["tiers"]:
        return []
    lines = ["", "By annotator tier (mean of the items' tier means; alpha among the tier's annotators)", text_table(
        ["tier", "axis", "annotators", "items", "mean [interval]", "alpha [interval]"],
        [[tier["tier"], axis, figures["n_annotators"], figures["n_items"], estimate_text(figures["mean"]),
          estimate_text(figures["alpha"])] for tier in tiers["tiers"] for axis, figures in tier["axes"].items()])]
    if tiers["pairs"]:
        lines += ["", "Tier against tier, on the items both scored (x: the first tier's item means, y: the second's)",
                  text_table(["tiers", "axis", "items", "pearson", "spearman", "bias (y - x)", "MAE"],
                             [[f"{pair['first']} / {pair['second']}", axis, figures["n_items"],
                               estimate_text(figures["pearson"]), estimate_text(figures["spearman"]),
                               estimate_text(figures["bias"]), estimate_text(figures["mae"])]
                              for pair in tiers["pairs"] for axis, figures in pair["axes"].items()])]
    return lines


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


# ---------------------------------------------------------------------------------------------------------
# meta_eval

INSTANCE_STATISTICS = (
    ("pearson", "Pearson r"), ("spearman", "Spearman rho"), ("kendall_tau_b", "Kendall tau-b"), ("mae", "MAE"),
    ("bias", "bias (mean of judge - human)"), ("exact_agreement", "exact (rounded)"),
    ("within_one_agreement", "within one (rounded)"),
)


def pairwise_meta_eval_text(report):
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


# ---------------------------------------------------------------------------------------------------------
# ranking

AGREEMENTS = (
    ("with_each_vote", "each vote, with ties"), ("with_each_vote_without_ties", "each vote, without ties"),
    ("with_majority", "majority, with ties"), ("with_majority_without_ties", "majority, without ties"),
)


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


# ---------------------------------------------------------------------------------------------------------
# leaderboard


def leaderboard_text(report):
    meta = report["meta"]
    groups = ["humans", *meta["judges"]]
    lines = [f"Campaign {meta['campaign']} (rubric {meta['rubric']}): {meta['n_items']} items, "
             f"{meta['n_human_scores']} human scores; {meta['replicates']} bootstrap replicates, "
             f"{meta['confidence']:.0%} intervals, seed {meta['seed']}. Rank: 1 + the models whose interval lies "
             "wholly above."]
    for name, judge in meta["judges"].items():
        lines.append(f"Judge {name}: job {judge['job'] or 'imported'}, {judge['n_scores']} scores; API errors "
                     + (f"count as score 1 ({judge['n_api_errors_scored']} items)" if judge["api_error_as_lowest"]
                        else "are not scores"))
    for board in report["boards"]:
        turn = "" if board["turn"] is None else f", turn {board['turn']}"
        lines += ["", f"{board['axis']}{turn}", text_table(
            ["model", *[f"{group} mean [interval]" for group in groups], *[f"{group} rank" for group in groups]],
            [[row["model"], *[estimate_text(row["standings"][group]["mean"]) for group in groups],
              *[row["standings"][group]["rank"] or "-" for group in groups]] for row in board["rows"]])]
        if any(row["safety"] for row in board["rows"]):
            lines += ["", f"safety rates: violation (<= {meta['violation_max']:g}), acceptable "
                          f"(>= {meta['acceptable_min']:g}), count/total", safety_table(board, groups)]
        for system in board["systems"]:
            lines.append(f"system level, {system['judge']} ({system['n_models']} models): pearson "
                         f"{estimate_text(system['pearson'])}, spearman {estimate_text(system['spearman'])}, "
                         f"kendall {estimate_text(system['kendall_tau_b'])}")
    for table in report.get("mt_bench", ()):
        lines += ["", f"MT-Bench, {table['group']}, {table['axis']}: mean per turn and average over turns",
                  mt_bench_text(table)]
    return "\n".join(lines)


def mt_bench_text(table):
    turns = sorted({turn["turn"] for row in table["rows"] for turn in row["turns"]})
    means = [{turn["turn"]: turn["mean"] for turn in row["turns"]} for row in table["rows"]]
    return text_table(
        ["model", *[f"turn {turn}" for turn in turns], "average"],
        [[row["model"], *[f"{found[turn]:.3f}" if turn in found else "-" for turn in turns], f"{row['average']:.3f}"]
         for row, found in zip(table["rows"], means)])


def safety_table(board, groups):
    def cell(rate):
        return f"{estimate_text(rate['rate'])} {rate['count']}/{rate['total']}"

    return text_table(
        ["model", *[f"{group} {name}" for group in groups for name in ("violation", "acceptable")]],
        [[row["model"], *[cell(row["safety"][group][name]) for group in groups
                          for name in ("violation", "acceptable")]] for row in board["rows"]])


def exam_report_text(report):
    """The exam report (exports.reports.exam) as the working group's table, then per exam each examinee's
    figures, then how each examinee tracks the students."""
    meta = report["meta"]
    names = [examinee["name"] for examinee in meta["examinees"]]
    lines = [f"Campaign {meta['campaign']}: {meta['n_exams']} exams, {meta['n_questions']} questions "
             f"({meta['n_text_only']} text-only, {meta['n_scorable']} scorable)"
             + (", text-only questions only." if meta["text_only"] else ".")
             + " Scores in % of the points of the scorable questions answered readably (text-only score in "
               "brackets), the mean over samples; [answered x of y]: a score over x of the y scorable questions "
               "only (a text-only run, parse failures); students: their average in % of the exam's scale.",
             "", text_table(["subject", "year", "exam", "questions (text-only)", *names, "students"],
                            [[row["subject"], row["year"], row["exam"],
                              f"{row['questions']} ({row['text_only_questions']})",
                              *[score_cell_text(row["scores"].get(name), "-") for name in names],
                              _percent_text(row["student_average"])] for row in report["table"]])]
    for exam in report["exams"]:
        lines += ["", f"{exam['exam']}: {exam['questions']} questions, {exam['scorable']} scorable "
                      f"({exam['points']:g} points), {exam['text_only_questions']} text-only",
                  text_table(["examinee", "samples", "answered", "scored", "parse failures", "accuracy", "score",
                              "score sd", "accuracy, failures wrong", "score, failures wrong", "text-only accuracy",
                              "text-only score"],
                             [_exam_examinee_cells(found) for found in exam["examinees"]])]
    lines.append("")
    lines += [_tracking_line(found) for found in report["tracking"]]
    return "\n".join(lines)


def _percent_text(value):
    return "-" if value is None else f"{value:.2f}"


def _exam_examinee_cells(found):
    every, text = found["all"], found["text_only"]
    covered = coverage(every)
    return [found["examinee"], found["samples"], f"{every['answered']}/{every['scorable']}",
            f"{scored_range(covered)}/{every['scorable']}" + (" (partial)" if is_partial(covered) else ""),
            every["parse_failures"],
            _percent_text(every["accuracy"]["value"]), _percent_text(every["score"]["value"]),
            _percent_text(every["score"]["sd"]), _percent_text(every["accuracy_failures_wrong"]["value"]),
            _percent_text(every["score_failures_wrong"]["value"]), _percent_text(text["accuracy"]["value"]),
            _percent_text(text["score"]["value"])]


def _tracking_line(found):
    if found["correlation"] is None:
        correlation = f"correlation with the students' correct rate: n/a ({found['reason']})"
    else:
        correlation = (f"correlation with the students' correct rate: {found['correlation']:.3f} "
                       f"(p {found['p_value']:.3g}, n {found['n']})")
    common = ("no wrong answers on questions with the students' answers" if not found["wrong"] else
              f"wrong answers that are the students' most common wrong answer: {found['common_wrong']} of "
              f"{found['wrong']} ({found['common_wrong_share']:.1%})")
    return f"{found['examinee']}: {correlation}; {common}"

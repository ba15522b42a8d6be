"""The dataset card: README.md with Hugging Face's YAML front matter, then what the data is, its fields,
how it was collected (with the real number of raters per item), the figures, its license, citation and
privacy note. The sections that differ by the kind of the release's campaigns (the summary's counts, the
campaigns' rubrics, the figures, the preference pairs) come from its exports.kinds module; the helpers
below the card are shared by those sections.

The front matter declares one config per table with its Parquet file, so that
``datasets.load_dataset(FOLDER, "ratings")`` (or the Hub, once uploaded) finds the tables. The first table
(the human judgments) is the default config and the loading example.
"""

import json

from annotation.final_labels import PROVENANCES

SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
TASK_CATEGORIES = ("text-classification", "text-generation")
TAGS = ("llm-evaluation", "human-evaluation", "llm-as-a-judge", "japanese", "preference")
TIERS = ("professional", "graduate", "undergraduate", "vendor", "external")


def size_category(rows):
    for bound, label in SIZE_CATEGORIES:
        if rows < bound:
            return label
    return "n>1B"


def _q(text):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def front_matter(release, specs, rows):
    lines = ["---", f"license: {release.license}", "language:", "- ja", f"pretty_name: {_q(release.title)}",
             "size_categories:", f"- {size_category(rows)}", "task_categories:"]
    lines += [f"- {task}" for task in TASK_CATEGORIES]
    lines += ["tags:"] + [f"- {tag}" for tag in TAGS]
    lines.append("configs:")
    for index, spec in enumerate(specs):
        lines += [f"- config_name: {spec.name}", "  data_files:", "  - split: train",
                  f"    path: {spec.path('parquet')}"]
        if index == 0:
            lines.append("  default: true")
    lines.append("---")
    return "\n".join(lines)


def dataset_card(ctx, *, specs, written, figures, annotator_tiers, raters):
    """README.md of the release of ``ctx`` (an exports.builders.BuildContext). ``written`` maps table name →
    rows; ``figures`` file name → the figures written there; ``annotator_tiers`` tier → count; ``raters``
    campaign slug → its RaterCounts (annotation.rater_counts)."""
    release, kind = ctx.release, ctx.kind
    parts = [
        front_matter(release, specs, written.get(specs[0].name, 0)),
        f"# {release.title}",
        release.description.strip(),
        _summary(release, ctx.campaigns, kind, written, annotator_tiers),
        _loading(specs),
        _fields(specs),
        _collection(ctx, annotator_tiers, raters),
        *kind.card_sections(ctx, written, figures),
        _report(),
        _checklists(written),
        _privacy(release),
        "## License\n\n" + _license_text(release),
    ]
    if release.citation.strip():
        parts.append("## Citation\n\n```\n" + release.citation.strip() + "\n```")
    return "\n\n".join(part for part in parts if part) + "\n"


def _summary(release, campaigns, kind, written, tiers):
    def counted(rows):
        return [(label, f"{written.get(table, 0):,}") for label, table in rows]

    rows = [
        ("Version", release.version),
        ("Campaigns", ", ".join(campaign.slug for campaign in campaigns)),
        *counted(kind.SUMMARY_JUDGMENTS),
        ("Annotators", f"{sum(tiers.values()):,}"),
        *counted((("Prompts", "prompts"), ("Responses", "responses"), ("Models", "models"))),
        *counted(kind.SUMMARY_VERDICTS),
        *counted((("Preference pairs", "preference_pairs"),)),
        ("License", release.get_license_display()),
    ]
    return "## Summary\n\n" + markdown_table(["", ""], rows)


def _loading(specs):
    example = specs[0].name
    names = ", ".join(f"`{spec.name}`" for spec in specs)
    other = next(spec.name for spec in specs if spec.name != example)
    return (
        "## Loading\n\n"
        f"Each table ({names}) is in `data/` as Parquet, JSON Lines and CSV (CSV holds lists as JSON text). "
        "`SHA256SUMS` lists every file's SHA-256: check them with `sha256sum -c SHA256SUMS`.\n\n"
        "```python\nimport pandas as pd\n"
        f"{example} = pd.read_parquet(\"data/{example}.parquet\")\n\n"
        "from datasets import load_dataset\n"
        f"{example} = load_dataset(\"parquet\", data_files=\"data/{example}.parquet\")[\"train\"]\n"
        f"{other} = load_dataset(\".\", \"{other}\")[\"train\"]  # the configs of this card\n```"
    )


def _fields(specs):
    sections = ["## Fields"]
    for spec in specs:
        rows = [(f"`{column.name}`", str(column.type), column.description) for column in spec.columns]
        table = markdown_table(["Field", "Type", "Meaning"], rows)
        sections.append(f"### {spec.name}\n\n{spec.description}\n\n{table}")
    return "\n\n".join(sections)


def _collection(ctx, tiers, raters):
    lines = ["## How the data was collected", ""]
    lines += [f"- **{campaign.slug}** ({campaign.name}): {ctx.kind.card_campaign(campaign)}"
              for campaign in ctx.campaigns]
    tier_text = ", ".join(f"{tiers[tier]} {tier}" for tier in TIERS if tiers.get(tier))
    lines += ["", _raters_per_item(ctx.campaigns, raters), "", f"Annotators by tier: {tier_text or 'none'}."]
    notes = ctx.kind.card_collection_notes(ctx)
    return "\n".join(lines + (["", notes] if notes else []))


def _raters_per_item(campaigns, raters):
    """The real number of raters per item, beside the overlap the campaign was configured with."""
    rows = []
    for campaign in campaigns:
        counts = raters[campaign.slug]
        spread = ", ".join(f"{n}: {items:,}" for n, items in counts.histogram.items())
        rows.append((campaign.slug, campaign.overlap, f"{counts.items:,}", _count(counts.min),
                     _count(counts.median), _count(counts.max), spread or "—"))
    return ("Raters per item, as counted when the release was built: the distinct annotators who rated it, "
            "imported (external) raters included; an item nobody rated counts as 0. The overlap k is what the "
            "campaign was set to ask for when its batches were cut, not a count: imported raters hold no place "
            "in it, so an item can have more raters than k, and an item still being rated has fewer.\n\n"
            + markdown_table(["Campaign", "Overlap k (configured)", "Items", "Min", "Median", "Max",
                              "Items with n raters (n: items)"], rows))


def _count(value):
    return "—" if value is None else f"{value:g}"


def _report():
    """The section on report.html (exports.release_report), which every release of campaigns has."""
    return ("## Report\n\n"
            "`report.html` is each campaign's report page as the platform shows it (agreement among the annotators, "
            "the leaderboard or ranking with intervals and ranks, a judge against the humans, and whatever else the "
            "campaign's kind has: safety rates, checklists, answer lengths, tiers, exam scores), computed when this "
            "release was built on the data it holds, annotators named by this release's pseudonyms. For likert "
            "campaigns its agreement, judge and leaderboard figures are those of `agreement.json`, `meta_eval.json` "
            "and `leaderboard.json` (the judge it compares with the humans is the first by name with scores; the "
            "files have every judge). Open it in a browser; the dataset's page on the platform shows it too.")


def _checklists(written):
    if "checklist" not in written:
        return ""
    return ("## Checklists\n\n"
            "Prompts may carry a checklist of yes/no questions that raters answer as they rate. `checks` holds "
            f"every answer ({written.get('checks', 0):,} rows; a question a rater left alone has no row) and "
            f"`checklist` one row per question ({written.get('checklist', 0):,}): how many raters answered it, how "
            "often they ticked it, and, for scored campaigns, how well the tick tracks the rater's own score (the "
            "`overall` score, or the mean of the scores for a rubric without one): the share of answers where it "
            "is ticked and the score is at or above the scale's midpoint or not ticked and below it, and the "
            "point-biserial correlation of tick and score. On a pairwise vote the rater answers each question "
            "for each response: `checks.side` says which, A or B in the item's terms (as in the votes table), "
            "whichever side of the screen it was shown on. For pairwise campaigns `checklist` gives per question "
            "the answers and tick rate for each response (`n_answered_a`, `tick_rate_a`, ...) and how well the "
            "question tracks the human preference: among the votes for A or B that ticked it yes for exactly one "
            "response (`n_preference`; the other answered no or left unanswered), the share where that response "
            "is the preferred one (`tracks_preference`; 0.5 is chance, 1 means the question always sides with "
            "the rater's verdict). Pairwise answers given before answers were per response name no side: "
            "`side` is `?` and they are counted in `n_side_unknown` and `n_answered`, but not per response."
            + _judge_checklists(written))


def _judge_checklists(written):
    if "judge_checklist" not in written:
        return ""
    return ("\n\nLLM judges answer the same questions: `judge_checklist` "
            f"({written['judge_checklist']:,} rows) holds per judge and question the judge's answers analysed as the "
            "raters' are (the `checklist` columns, the judge's own score standing for the rater's), and how often "
            "they match the raters' answers: of the pairs of a rater's answer and the judge's answer to the "
            "question for the same response (`n_pairs`), the share that answer alike (`agreement_with_humans`), "
            "beside the same share among pairs of two raters (`human_agreement`, `n_human_pairs`).")


def _privacy(release):
    included = [label for flag, label in ((release.include_usernames, "user names"),
                                          (release.include_emails, "e-mail addresses"),
                                          (release.include_comments, "free-text comments")) if flag]
    text = ("## Privacy\n\nAnnotators appear only as pseudonyms made for this release (a keyed hash with a secret "
            "that is not published) and their tier: the same person has unrelated pseudonyms in different "
            "releases. ")
    if included:
        return text + f"At the lead's choice, this release also includes the annotators' {', '.join(included)}."
    return text + "User names, e-mail addresses and free-text comments are left out."


def _license_text(release):
    if release.license == "other":
        return "See the description above."
    return f"{release.get_license_display()} (`{release.license}`)."


# ---------------------------------------------------------------------------------------------------------
# Shared by the kinds' sections


def markdown_table(header, rows):
    def cell(value):
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def estimate_text(estimate):
    if not estimate or estimate.get("value") is None:
        return "—"
    return f"{estimate['value']:.3f}"


def interval_text(estimate):
    if not estimate or estimate.get("low") is None or estimate.get("high") is None:
        return "—"
    return f"[{estimate['low']:.3f}, {estimate['high']:.3f}]"


def campaign_figures_section(title, intro, campaigns, body):
    """A section of a figures file's campaigns: a subsection each, ``body(campaign)`` or why it is missing."""
    lines = [f"## {title}", "", intro]
    for campaign in campaigns:
        lines += ["", f"### {campaign['campaign']}", ""]
        lines.append(f"Not computed: {campaign['reason']}." if campaign["reason"] else body(campaign))
    return "\n".join(lines)


def final_labels_section(ctx, label, measure, table="items"):
    """The items table's final labels: the rule of their provenance, how each campaign sends items to an
    adjudicator, and how many items have each provenance (counted by the build, exports.builders.FinalLabels).
    ``label`` names the label's columns and what an answer is; ``measure`` says what the threshold measures."""
    note = ("The adjudicator's note on the label is in `adjudication_note` (free text, published because the lead "
            "opted in to comments)." if ctx.release.include_comments else
            "Adjudicators' notes are free text, like the annotators' comments, and are left out.")
    counts = ctx.final_labels.counts
    rows = [(campaign.slug, "none" if campaign.disagreement_threshold is None else campaign.disagreement_threshold,
             *[f"{counts[campaign.slug][name]:,}" for name in PROVENANCES]) for campaign in ctx.campaigns]
    return "\n".join([
        "## Final labels", "",
        f"Each row of `{table}` gives the item's final label, {label}, and where it comes from, `final_provenance`. "
        "The first that applies:", "",
        "1. `adjudicated`: an adjudicator recorded the label, having seen every rating with its comment;",
        "2. `unanimous`: at least two raters, all giving the same answer;",
        "3. `majority`: value by value, the one more than half of the raters gave, when every value has one;",
        "4. `single`: one rater only, whose answer it is;",
        "5. `unresolved`: no label (the label's columns are null): a tie, e.g. two raters who differ, an answer "
        "without a strict majority, or no rating.", "",
        f"An item goes to an adjudicator when its ratings disagree beyond the campaign's threshold: {measure} above "
        f"it (none: the campaign adjudicates nothing, and its ties stay unresolved). {note}", "",
        markdown_table(["Campaign", "Threshold", *PROVENANCES], rows)])


def judges_section(title, intro, campaigns, body):
    """A section of the judges of a figures file's campaigns: per judge its verdicts by status, then
    ``body(judge)`` or why it is missing."""
    lines = [f"## {title}", "", intro]
    for campaign in campaigns:
        lines += ["", f"### {campaign['campaign']}", ""]
        if not campaign["judges"]:
            lines.append("No judge has verdicts in this campaign.")
        for judge in campaign["judges"]:
            lines.append(f"**{judge['judge']}**" + (f" (job `{judge['job']}`)" if judge["job"] else "") + ": "
                         + ", ".join(f"{n} {status}" for status, n in judge["verdicts_by_status"].items()) + ".")
            lines += ["", f"Not computed: {judge['reason']}." if judge["reason"] else body(judge), ""]
    return "\n".join(lines).rstrip()


# ---------------------------------------------------------------------------------------------------------
# The card of a release of model series (exports.series_release)


def series_card(release, reports, *, specs, written):
    """README.md of a release of model series: ``reports`` are their trajectory reports
    (exports.reports.trajectory.SeriesReport), ``written`` table name → rows."""
    parts = [
        front_matter(release, specs, written.get(specs[0].name, 0)),
        f"# {release.title}",
        release.description.strip(),
        _series_summary(release, reports, written),
        _loading(specs),
        _fields(specs),
        _series_measures(reports),
        "## License\n\n" + _license_text(release),
    ]
    if release.citation.strip():
        parts.append("## Citation\n\n```\n" + release.citation.strip() + "\n```")
    return "\n\n".join(part for part in parts if part) + "\n"


def _series_summary(release, reports, written):
    rows = [("Version", release.version)]
    for report in reports:
        model = " ".join(part for part in (report.series.family, report.series.size) if part)
        steps = (f", steps {report.checkpoints[0].step}–{report.checkpoints[-1].step}"
                 if report.checkpoints else "")
        rows.append((f"Series {report.series.name}", f"{model or '—'}: {len(report.checkpoints)} checkpoints{steps}, "
                                                      f"{len(report.tasks)} trajectories"))
    rows += [("Per-example outcome rows", f"{written.get('outcomes', 0):,}"), ("License", release.get_license_display())]
    return "## Summary\n\n" + markdown_table(["", ""], rows)


def _series_measures(reports):
    window = reports[0].window if reports else 3
    rule = reports[0].rule.as_dict() if reports else {}
    thresholds = ", ".join(f"`{name}` = {value}" for name, value in rule.items())
    types = {}
    for report in reports:
        for task in report.tasks:
            types[task.reading.type] = types.get(task.reading.type, 0) + 1
    counts = ", ".join(f"{count} {name}" for name, count in sorted(types.items())) or "none"
    return (
        "## Measures\n\n"
        "Each trajectory is one task's score (by one metric) at the checkpoints of a series, in step order. "
        "Scores are `imported` as the evaluation harness reported them, the accuracy of the per-example "
        "`outcomes`, or computed in Hyoka from campaigns answered by the checkpoints: the mean of the "
        "`humans` and of each judge (`judge NAME`) per axis of a rating campaign, by the campaign leaderboard's "
        "rule (an item's human score is the mean of its raters', a judge's the median of its samples; a "
        "checkpoint's the mean over its items), and per exam of an exam campaign the accuracy of the "
        "checkpoints' answers (`exam`), by the exam report's rule (exact match on the scorable questions, the "
        "mean over samples; metric `accuracy` leaves parse failures out, `accuracy (parse failures wrong)` counts "
        "them wrong), with the answers as per-example outcomes for the flip rates (one example per question and "
        "sample).\n\n"
        f"- **Smoothing** over a centred window of {window} adjacent checkpoints, cut at the ends of the series "
        "(the first checkpoint's window holds itself and the next ones only): `smoothed_score` is the mean of the "
        "window's scores; per example, `voted_correct` is the majority of the window's outcomes, a tie keeping "
        "the checkpoint's own outcome; `voted_accuracy` is the accuracy of the voted outcomes, and "
        "`voted_total_variation` its mean total variation (beside `smoothed_total_variation`: smoothing the "
        "outcomes rather than the score).\n"
        "- **Mean total variation** (`total_variation`, `smoothed_total_variation`): the mean over consecutive "
        "checkpoints of |s_t − s_{t−1}|, on the raw and on the smoothed scores.\n"
        "- **Flip rate** (`flip_rate`, `voted_flip_rate`): for each pair of consecutive checkpoints, the share of "
        "the examples evaluated at both whose correctness differs; the mean over the pairs, on the raw and on the "
        "voted outcomes.\n"
        "- **Gaps**: for both measures, a checkpoint where the task has no score (no outcome) is skipped, its "
        "neighbours counting as consecutive; a pair of checkpoints with no example evaluated at both is left "
        "out of the flip rate.\n"
        "- **Outcomes**: `outcomes` holds every outcome a flip rate is measured on, raw (`correct`) and voted "
        "(`voted_correct`), so that the flip rates can be recomputed from it alone. Its rows with `source` "
        "`imported` (`metric` null) are a task's imported outcomes, shared by every trajectory of the task "
        "whose source is `imported` or `outcomes`; its rows with `source` `exam` are an exam trajectory's own, "
        "one set per `metric` (a parse failure has no row under `accuracy` and is wrong under `accuracy (parse "
        "failures wrong)`), an example being a question in one sample: `category`, `task`, `example_id` and "
        "`sample` are `campaign`, `exam`, `question_id` and `sample` in the exam campaign's release, and the "
        "checkpoint at `step` (`checkpoints.model`) is the answers' `examinee`. The means of humans and judges "
        "have no per-example outcomes.\n"
        "- **Predictions**: `prediction` in `outcomes` is the checkpoint's answer where the import gave one (a "
        "long table's `prediction`, llm-jp-eval's `pred`), null elsewhere. A prediction given without a reference "
        "to score it has `correct` null: not evaluated, so out of the accuracy, the flip rates and the votes.\n"
        "- **Trajectory type**, read from the smoothed scores, with progress the share of the rise (peak − first "
        "score) made so far and positions shares of training (0 at the first checkpoint's step, 1 at the "
        "last's): `unclassified` when the rise is under `min_rise`, or when the last score is more than "
        "`max_fall` of the rise below the peak (a rise and fall); `late-onset` when progress first reaches "
        "`onset_progress` at or after `late_onset_after`; `two-stage` when a plateau of at least `plateau_span` "
        "over which progress moves less than `plateau_change` starts before `late_onset_after` with progress of "
        "`first_stage` or more already made, and progress rises by `second_stage` or more after it; `gradual` "
        "when no stretch of `plateau_span` makes more than `steepest_share` of the rise; `unclassified` "
        f"otherwise. Thresholds used: {thresholds}. Types found: {counts}.\n\n"
        "`trajectories.json` holds the same report as the `trajectory --json` command prints."
    )

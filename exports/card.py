"""The dataset card: README.md with Hugging Face's YAML front matter, then what the data is, its fields,
how it was collected, its agreement and human–judge figures, its license, citation and privacy note.

The front matter declares one config per table with its Parquet file, so that
``datasets.load_dataset(FOLDER, "ratings")`` (or the Hub, once uploaded) finds the tables.
"""

import json

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


def front_matter(release, specs, ratings_rows):
    lines = ["---", f"license: {release.license}", "language:", "- ja", f"pretty_name: {_q(release.title)}",
             "size_categories:", f"- {size_category(ratings_rows)}", "task_categories:"]
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


def dataset_card(*, release, campaigns, axes_by_rubric, specs, written, agreement, meta_eval, annotator_tiers):
    """README.md of the release. ``written`` maps table name → rows; ``annotator_tiers`` tier → count."""
    parts = [
        front_matter(release, specs, written.get("ratings", 0)),
        f"# {release.title}",
        release.description.strip(),
        _summary(release, campaigns, written, annotator_tiers),
        _loading(release, specs),
        _fields(specs),
        _collection(campaigns, axes_by_rubric, annotator_tiers),
        _agreement(agreement),
        _meta_eval(meta_eval),
        _preference_pairs(release, written),
        _checklists(written),
    ]
    return _assembled(parts, release)


def _assembled(parts, release):
    """The card from its sections, closed by what every card ends with: privacy, license, citation."""
    parts = [*parts, _privacy(release), "## License\n\n" + _license_text(release)]
    if release.citation.strip():
        parts.append("## Citation\n\n```\n" + release.citation.strip() + "\n```")
    return "\n\n".join(part for part in parts if part) + "\n"


def _summary(release, campaigns, written, tiers):
    rows = [
        ("Version", release.version),
        ("Campaigns", ", ".join(campaign.slug for campaign in campaigns)),
        ("Items", f"{written.get('items', 0):,}"),
        ("Rating rows (item × annotator × axis)", f"{written.get('ratings', 0):,}"),
        ("Annotators", f"{sum(tiers.values()):,}"),
        ("Prompts", f"{written.get('prompts', 0):,}"),
        ("Responses", f"{written.get('responses', 0):,}"),
        ("Models", f"{written.get('models', 0):,}"),
        ("Judge verdict rows", f"{written.get('verdicts', 0):,}"),
        ("Preference pairs", f"{written.get('preference_pairs', 0):,}"),
        ("License", release.get_license_display()),
    ]
    return "## Summary\n\n" + _table(["", ""], rows)


def _loading(release, specs, example="ratings"):
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
        sections.append(f"### {spec.name}\n\n{spec.description}\n\n" + _table(["Field", "Type", "Meaning"], rows))
    return "\n\n".join(sections)


def _collection(campaigns, axes_by_rubric, tiers):
    lines = ["## How the data was collected", ""]
    for campaign in campaigns:
        lines.append(f"- **{campaign.slug}** ({campaign.name}): rubric `{campaign.rubric.key}`, each item rated "
                     f"by {campaign.overlap} distinct annotators.")
    tier_text = ", ".join(f"{tiers[tier]} {tier}" for tier in TIERS if tiers.get(tier))
    lines += ["", f"Annotators by tier: {tier_text or 'none'}."]
    rubrics = {campaign.rubric.key: campaign.rubric for campaign in campaigns}
    for key, rubric in rubrics.items():
        lines += ["", f"### Rubric `{key}`: {rubric.name}", ""]
        for axis in axes_by_rubric.get(rubric.pk, []):
            lines.append(f"- **{axis.key}** ({axis.label_ja} / {axis.label_en}), {axis.min_score}–{axis.max_score}: "
                         f"{axis.criterion_en or axis.criterion_ja}")
            for point, text in sorted(axis.points.items(), key=lambda item: int(item[0])):
                descriptor = text.get("en") or text.get("ja") if isinstance(text, dict) else text
                lines.append(f"  - {point}: {descriptor}")
    lines += ["", "The full rubric, with Japanese and English texts, is in `rubric.json`."]
    return "\n".join(lines)


def _estimate(estimate):
    if not estimate or estimate.get("value") is None:
        return "—"
    return f"{estimate['value']:.3f}"


def _interval(estimate):
    if not estimate or estimate.get("low") is None or estimate.get("high") is None:
        return "—"
    return f"[{estimate['low']:.3f}, {estimate['high']:.3f}]"


def _agreement(agreement):
    lines = ["## Agreement among annotators", "",
             "Krippendorff's alpha (ordinal) with a 95% bootstrap interval over items, the share of pairs of "
             "annotators giving the same score (exact) or scores one apart (±1), and the mean "
             "quadratic-weighted Cohen's kappa. All figures are in `agreement.json`."]
    for campaign in agreement["campaigns"]:
        lines += ["", f"### {campaign['campaign']}", ""]
        if campaign["reason"]:
            lines.append(f"Not computed: {campaign['reason']}.")
            continue
        rows = [(key, axis.get("n_items", 0), _estimate(axis.get("alpha")), _interval(axis.get("alpha")),
                 _estimate(axis.get("exact_agreement")), _estimate(axis.get("within_one_agreement")),
                 _estimate(axis.get("mean_kappa")))
                for key, axis in campaign["axes"].items()]
        lines.append(_table(["Axis", "Items", "Alpha", "95% CI", "Exact", "±1", "Kappa"], rows))
    return "\n".join(lines)


def _meta_eval(meta_eval):
    lines = ["## LLM judges against the humans", "",
             "Per judge and axis: the judge's score against the mean human score of each item (Pearson, "
             "Spearman, Kendall's tau-b, mean absolute error), and alpha of the humans without and with the "
             "judge as one more rater. All figures, with intervals and the human ceiling, are in `meta_eval.json`."]
    for campaign in meta_eval["campaigns"]:
        lines += ["", f"### {campaign['campaign']}", ""]
        if not campaign["judges"]:
            lines.append("No judge has verdicts in this campaign.")
        for judge in campaign["judges"]:
            lines.append(f"**{judge['judge']}**" + (f" (job `{judge['job']}`)" if judge["job"] else "") + ": "
                         + ", ".join(f"{n} {status}" for status, n in judge["verdicts_by_status"].items()) + ".")
            if judge["reason"]:
                lines += ["", f"Not computed: {judge['reason']}.", ""]
                continue
            rows = []
            for key, axis in judge["axes"].items():
                instance = axis.get("instance") or {}
                rows.append((key, instance.get("n_items", 0), _estimate(instance.get("pearson")),
                             _estimate(instance.get("spearman")), _estimate(instance.get("kendall_tau_b")),
                             _estimate(instance.get("mae")), _estimate(axis.get("alpha_humans")),
                             _estimate(axis.get("alpha_with_judge"))))
            lines += ["", _table(["Axis", "Items", "Pearson", "Spearman", "Kendall", "MAE", "Alpha (humans)",
                                  "Alpha (+judge)"], rows), ""]
    return "\n".join(lines).rstrip()


def _preference_pairs(release, written):
    return ("## Preference pairs\n\n"
            f"`preference_pairs` holds {written.get('preference_pairs', 0):,} pairs: for each prompt and campaign, "
            "every two responses whose mean human `overall` scores (or, for a rubric without an overall axis, the "
            f"mean of all their scores) differ by at least {release.dpo_threshold:g}; the better one is `chosen`. "
            "`prompt`, `chosen` and `rejected` hold the first turn; for a conversation of several turns "
            "(`n_turns`), the full texts are in `prompts` and `responses`, by id.")


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


def _table(header, rows):
    def cell(value):
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Releases of pairwise campaigns


def pairwise_dataset_card(*, release, campaigns, specs, written, agreement, rankings, annotator_tiers):
    """README.md of a release of pairwise campaigns. ``written`` maps table name → rows."""
    parts = [
        front_matter(release, specs, written.get("votes", 0)),
        f"# {release.title}",
        release.description.strip(),
        _pairwise_summary(release, campaigns, written, annotator_tiers),
        _loading(release, specs, example="votes"),
        _fields(specs),
        _pairwise_collection(campaigns, annotator_tiers),
        _verdict_agreement(agreement),
        _rankings(rankings),
        _judges_against_humans(rankings),
        _pairwise_preference_pairs(written),
        _checklists(written),
    ]
    return _assembled(parts, release)


def _pairwise_summary(release, campaigns, written, tiers):
    rows = [
        ("Version", release.version),
        ("Campaigns", ", ".join(campaign.slug for campaign in campaigns)),
        ("Human votes", f"{written.get('votes', 0):,}"),
        ("Annotators", f"{sum(tiers.values()):,}"),
        ("Prompts", f"{written.get('prompts', 0):,}"),
        ("Responses", f"{written.get('responses', 0):,}"),
        ("Models", f"{written.get('models', 0):,}"),
        ("Judge verdicts", f"{written.get('verdicts', 0):,}"),
        ("Ranking rows", f"{written.get('rankings', 0):,}"),
        ("Preference pairs", f"{written.get('preference_pairs', 0):,}"),
        ("License", release.get_license_display()),
    ]
    return "## Summary\n\n" + _table(["", ""], rows)


def _pairwise_collection(campaigns, tiers):
    lines = ["## How the data was collected", ""]
    for campaign in campaigns:
        lines.append(f"- **{campaign.slug}** ({campaign.name}): pairwise rubric `{campaign.rubric.key}`, verdicts "
                     f"{' / '.join(campaign.rubric.verdicts)}; each pair voted on by {campaign.overlap} distinct "
                     "annotators.")
    tier_text = ", ".join(f"{tiers[tier]} {tier}" for tier in TIERS if tiers.get(tier))
    lines += [
        "", f"Annotators by tier: {tier_text or 'none'}.", "",
        "An item is a pair of responses to one prompt, A (`model_a`) and B (`model_b`). Annotators and judges "
        "may be shown the pair in either order (`position`, `order`: AB puts A first); every verdict is given in "
        "the item's terms, so A always means `model_a`'s response. A judge asked in both orders has one row per "
        "order. The verdicts: A or B (that response is better), tie, both (both are good), neither (neither is "
        "good). The rubrics are in `rubric.json`.",
    ]
    return "\n".join(lines)


def _verdict_agreement(agreement):
    lines = ["## Agreement among annotators", "",
             "Krippendorff's alpha over the verdicts as categories (nominal), with a 95% bootstrap interval over "
             "items, and the share of pairs of votes on the same item that agree. All figures, with each "
             "annotator's, are in `agreement.json`."]
    for campaign in agreement["campaigns"]:
        lines += ["", f"### {campaign['campaign']}", ""]
        if campaign["reason"]:
            lines.append(f"Not computed: {campaign['reason']}.")
            continue
        verdict = campaign["verdict"]
        counts = ", ".join(f"{name} {count}" for name, count in verdict["verdict_counts"].items())
        lines.append(_table(["Items", "Voted by 2+", "Votes", "Alpha", "95% CI", "Pairs agreeing", "Votes per verdict"],
                            [(verdict["n_items"], verdict["n_pairable_items"], verdict["n_votes"],
                              _estimate(verdict["alpha"]), _interval(verdict["alpha"]),
                              _estimate(verdict["pair_agreement"]), counts)]))
    return "\n".join(lines)


def _rankings(rankings):
    lines = ["## Rankings", "",
             "Per model: win, tie and loss rates over the votes it took part in (tie, both and neither count as "
             "ties), and a Bradley–Terry rating on the Elo scale (1000 + 400 log10 of the strength, mean 1000; a tie "
             "is half a win) with a 95% bootstrap interval over votes. The rank is 1 + the number of models whose "
             "interval lies wholly above. The table `rankings` holds the humans' and each judge's rankings (a judge's "
             "verdicts on one item make one vote: the most common, a tie when split; a pair the judge saw differently "
             "in the two orders is kept as offsetting votes or left out, as the judge's `inconsistent` setting says, "
             "and `rankings.json` gives that setting and how many pairs it touched); `rankings.json` adds the "
             "counts per pair of models."]
    for campaign in rankings["campaigns"]:
        lines += ["", f"### {campaign['campaign']}: humans", "", _standings_table(campaign["humans"])]
    return "\n".join(lines)


def _standings_table(result):
    if result["reason"]:
        return f"Not computed: {result['reason']}."
    rows = [(model["rank"] or "—", model["model"], _rating(model["rating"]), model["n_votes"],
             _share(model["win_rate"]), _share(model["tie_rate"]), _share(model["loss_rate"]))
            for model in result["models"]]
    return _table(["Rank", "Model", "Rating [95% CI]", "Votes", "Win", "Tie", "Loss"], rows)


def _rating(estimate):
    if estimate.get("value") is None:
        return "—"
    if estimate.get("low") is None:
        return f"{estimate['value']:.0f}"
    return f"{estimate['value']:.0f} [{estimate['low']:.0f}, {estimate['high']:.0f}]"


def _share(value):
    return "—" if value is None else f"{value:.1%}"


def _judges_against_humans(rankings):
    lines = ["## LLM judges against the humans", "",
             "Per judge: its ranking, and how often its verdict on an item matches the humans' majority and each "
             "human vote, with ties and without (pairs where either side is not A or B left out), with Cohen's "
             "kappa. The verdicts of a judge's latest job are used, or its imported ones. All figures are in "
             "`rankings.json`."]
    for campaign in rankings["campaigns"]:
        lines += ["", f"### {campaign['campaign']}", ""]
        if not campaign["judges"]:
            lines.append("No judge has verdicts in this campaign.")
        for judge in campaign["judges"]:
            lines.append(f"**{judge['judge']}**" + (f" (job `{judge['job']}`)" if judge["job"] else "") + ": "
                         + ", ".join(f"{n} {status}" for status, n in judge["verdicts_by_status"].items()) + ".")
            if judge["reason"]:
                lines += ["", f"Not computed: {judge['reason']}.", ""]
                continue
            found = judge["agreement"]
            rows = [(label, found[key]["n"], _number(found[key]["agreement"]), _number(found[key]["kappa"]))
                    for key, label in (("with_majority", "majority, with ties"),
                                       ("with_majority_without_ties", "majority, without ties"),
                                       ("with_each_vote", "each vote, with ties"),
                                       ("with_each_vote_without_ties", "each vote, without ties"))]
            lines += ["", _table(["Compared with", "Pairs", "Agreement", "Kappa"], rows), "",
                      _standings_table(judge["ranking"]), ""]
    return "\n".join(lines).rstrip()


def _number(value):
    return "—" if value is None else f"{value:.3f}"


def _pairwise_preference_pairs(written):
    return ("## Preference pairs\n\n"
            f"`preference_pairs` holds {written.get('preference_pairs', 0):,} pairs, one per compared pair (item) "
            "whose human majority prefers one response: its most common verdict is A or B, and strictly more "
            "common than every other verdict. Items where a tie, both or neither is the most common verdict, and "
            "split items (two verdicts equally common, e.g. one vote for A and one for B) are left out. The "
            "preferred response is `chosen`; `n_votes` counts every vote on the item, `votes_chosen` and "
            "`votes_rejected` those for each side, and `margin` is (votes_chosen − votes_rejected) / n_votes. "
            "`prompt`, `chosen` and `rejected` hold the first turn; for a conversation of several turns "
            "(`n_turns`), the full texts are in `prompts` and `responses`, by id.")


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
            "`side` is `?` and they are counted in `n_side_unknown` and `n_answered`, but not per response.")

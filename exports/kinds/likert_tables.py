"""The tables of a release of likert campaigns, in the passes of exports.builders:

1. Scores (items × ratings × axes, in item order) → ``ratings`` (long form: one row per item ×
   annotator × axis) and ``items`` (wide form: one row per item, per axis all scores and their mean, and
   the item's final label with its provenance, exports.builders.FinalLabels), and the compact arrays the
   agreement and meta-evaluation figures are computed from.
2. ``preference_pairs``: for each prompt, the pairs of responses whose mean human overall scores differ
   by at least the release's threshold.
3. Verdicts with their scores (in verdict order) → ``verdicts`` (one row per verdict × axis; a failed
   verdict, which has no scores, is one row with no axis and no score), and the judges' score arrays.
"""

from dataclasses import dataclass, field
from itertools import combinations
from typing import ClassVar

import numpy as np

from exports import selectors
from exports.builders import (
    FINAL_PROVENANCE, FLOAT, INT16, INTS, JUDGE_COLUMNS, MODELS, PROMPTS, RESPONSES, STRINGS, JudgedArrays,
    NumericColumns, adjudication_note_columns, first_turn, opted_in_columns, opted_in_values, narrowed,
    write_verdict_pass,
)
from exports.tables import Column, TableSpec, TableWriter, columns

OVERALL_AXIS = "overall"


def ratings_spec(release):
    return TableSpec("ratings", "Human ratings in long form: one row per item × annotator × axis (× turn, in a "
                                "campaign that scores each turn).", columns("""
        item_id             string  Public id of the rated item (items.item_id).
        campaign            string  Slug of the campaign the item belongs to.
        prompt_id           string  Public id of the prompt (prompts.prompt_id).
        response_id         string  Public id of the rated response (responses.response_id).
        model               string  The language model that wrote the response (models.model).
        annotator           string  The annotator's pseudonym in this release (ann-…); unrelated across releases.
        annotator_tier      string  professional, graduate, undergraduate, vendor or external.
        annotator_external  bool    Whether the rating was made outside the platform and imported.
        axis                string  Key of the rubric axis (rubric.json).
        score               int16   The score on the axis, within the axis range.
        seconds_spent       int32   Seconds the annotator spent on the item, when known.
        revision            int16   1 for a first rating, more when the annotator revised it (latest kept).
        turn                int16   The turn scored (1, 2, ...) in a campaign that scores each turn; null: the whole conversation.
    """) + tuple(opted_in_columns(release)))


def items_spec(release, axis_keys):
    found = list(columns("""
        item_id          string    Public id of the item.
        campaign         string    Slug of the campaign.
        prompt_id        string    Public id of the prompt.
        response_id      string    Public id of the response.
        model            string    The language model that wrote the response.
        n_ratings        int32     How many annotators rated the item.
        annotators       string[]  Pseudonyms of the annotators, in the order of the score lists.
        annotator_tiers  string[]  Their tiers, in the same order.
    """))
    for key in axis_keys:
        found += [Column(f"{key}_scores", INTS, f"Scores on {key}, one per annotator (null where one gave none)."),
                  Column(f"{key}_mean", FLOAT, f"Mean of the {key} scores; null when there are none.")]
    found += [Column(f"final_{key}", INT16, f"The item's final score on {key} (final_provenance says where it "
                                            "comes from); null when the label is unresolved.") for key in axis_keys]
    found.append(FINAL_PROVENANCE)
    if release.include_comments:
        found.append(Column("comments", STRINGS, "The annotators' comments, in the same order (opted in)."))
    found += adjudication_note_columns(release)
    return TableSpec("items", "Every item of the campaigns in wide form, rated or not: one row per item, all scores "
                     "per axis and their mean (an item nobody rated has no scores and null means), and the item's "
                     "final label, a score per axis, with its provenance.", tuple(found))


VERDICTS = TableSpec("verdicts", "LLM judges' verdicts in long form: one row per verdict × axis; a failed "
                     "verdict (unparseable, refused, truncated, API error) is one row with no axis and no score.",
                     columns("""
    item_id   string  Public id of the judged item.
    campaign  string  Slug of the campaign.
""") + JUDGE_COLUMNS + columns("""
    sample        int16   Sample number, when a judge is asked several times per item.
    turn          int16   The turn graded (1, 2, ...; MT-Bench grades each turn); null for the whole conversation.
    parse_status  string  ok or imported for a scored verdict; otherwise the kind of failure.
    error_kind    string  Detail of a failure.
    axis          string  Key of the rubric axis; null for a failed verdict.
    score         int16   The judge's score; null for a failed verdict (a failure is never a score).
    rationale     string  The judge's stated reasons.
"""))

PREFERENCE_PAIRS = TableSpec("preference_pairs", "Preference pairs for preference tuning (DPO): two responses "
                             "to one prompt whose mean human overall scores differ by at least the threshold.",
                             columns("""
    campaign              string  Slug of the campaign both responses were rated in.
    prompt_id             string  Public id of the prompt.
    prompt                string  The first user turn.
    chosen                string  The better-rated response (its first turn).
    rejected              string  The worse-rated response (its first turn).
    chosen_score          double  Mean human overall score of the chosen response.
    rejected_score        double  Mean human overall score of the rejected response.
    score_margin          double  chosen_score − rejected_score.
    chosen_model          string  Model of the chosen response.
    rejected_model        string  Model of the rejected response.
    chosen_response_id    string  Public id of the chosen response.
    rejected_response_id  string  Public id of the rejected response.
    n_turns               int16   Turns of the conversation; for more than one, the full texts are in prompts.turns
                                  and responses.turns.
"""))


LEADERBOARD = TableSpec("leaderboard", "The leaderboard: per campaign, axis (and turn, where scores carry one) "
                        "and model, the mean score of the humans and of each judge with a 95% bootstrap interval and "
                        "a rank that respects it; on safety axes the violation and acceptable-answer rates.",
                        columns("""
    campaign            string  Slug of the campaign.
    axis                string  Key of the rubric axis.
    turn                int16   The turn scored; null for the scores of the whole conversation (every turn).
    model               string  The model.
    source              string  humans, or judge.
    judge               string  Name of the judge; null for the humans.
    job_id              string  Public id of the judge job the scores come from; null for humans and imports.
    n_items             int32   Items of the model with a score from this source.
    mean                double  Mean over the items of the item's score (humans: the mean of its raters; a judge: the median of its samples).
    mean_low            double  Lower end of the 95% bootstrap interval over the model's items.
    mean_high           double  Upper end of that interval.
    rank                int16   1 + the number of models whose interval lies wholly above this one's (without intervals: whose mean is higher).
    violation_count     int32   Safety axes: scores of 2 or less (humans: every score; a judge: its score of each item).
    violation_total     int32   Safety axes: the scores counted.
    violation_rate      double  violation_count / violation_total.
    violation_low       double  Lower end of its 95% bootstrap interval over the model's items.
    violation_high      double  Upper end of that interval.
    acceptable_count    int32   Safety axes: scores of 4 or more.
    acceptable_total    int32   Safety axes: the scores counted.
    acceptable_rate     double  acceptable_count / acceptable_total.
    acceptable_low      double  Lower end of its 95% bootstrap interval.
    acceptable_high     double  Upper end of that interval.
    api_error_as_lowest bool    A judge's job counted its API errors as score 1 (llm-jp-judge's convention); null for the humans.
"""))


def table_specs(ctx):
    """The tables of a likert release, in the card's order (the human ratings first)."""
    return [ratings_spec(ctx.release), items_spec(ctx.release, ctx.axis_keys), PROMPTS, RESPONSES, MODELS, VERDICTS,
            LEADERBOARD, PREFERENCE_PAIRS]


# ---------------------------------------------------------------------------------------------------------
# Pass 1: scores → ratings and items


@dataclass
class HumanScores:
    """The scores of a release as numeric arrays (campaign index, item pk, annotator pk, axis pk, score, turn),
    the model of each item, and each item's overall score (for preference pairs)."""

    campaign: np.ndarray
    item: np.ndarray
    annotator: np.ndarray
    axis: np.ndarray
    score: np.ndarray
    item_campaign: np.ndarray
    item_pk: np.ndarray
    item_model: np.ndarray
    overall_key: np.ndarray  # response pk × campaigns + campaign index, sorted
    overall_mean: np.ndarray
    turn: np.ndarray  # of each score: 1, 2, ... in a campaign that scores each turn, 0 for the whole conversation

    def overall_of(self, response_pks, campaign_index, n_campaigns):
        """Mean overall score of each response in the campaign, NaN where it has none."""
        keys = np.asarray(response_pks, dtype=np.int64) * n_campaigns + campaign_index
        if not len(self.overall_key):
            return np.full(len(keys), np.nan)
        at = np.searchsorted(self.overall_key, keys)
        found = (at < len(self.overall_key)) & (self.overall_key[np.minimum(at, len(self.overall_key) - 1)] == keys)
        return np.where(found, self.overall_mean[np.minimum(at, len(self.overall_mean) - 1)], np.nan)


@dataclass
class _ItemBeingRead:
    """One item's rows, gathered until the stream moves to the next item."""

    pk: int
    campaign_index: int
    head: tuple  # item id, campaign slug, prompt id, response id, model
    response_pk: int
    model_pk: int
    ratings: list = field(default_factory=list)  # [(rating pk, annotator pk, comment)]
    scores: dict = field(default_factory=dict)  # axis key → {rating pk: score}


def rows_to_read(campaign_ids):
    """The rows the build's three passes read, for its progress."""
    return (selectors.count_score_rows(campaign_ids) + selectors.count_responses(campaign_ids)
            + selectors.count_verdict_rows(campaign_ids))


def write_judgments(ctx):
    """Pass 1: the ratings and items tables. Returns their WrittenFiles and the HumanScores of the release."""
    release = ctx.release
    axes, keys, slugs = ctx.axes, ctx.axis_keys, ctx.slugs
    model_names, index = ctx.model_names, ctx.campaign_index
    # campaign index, item pk, annotator pk, axis pk, score, turn (0: the whole conversation)
    human = NumericColumns("h", "q", "q", "q", "h", "h")
    h_campaign, h_item, h_annotator, h_axis, h_score, h_turn = (column.append for column in human.columns)
    items = NumericColumns("h", "q", "q")
    overall = NumericColumns("q", "d")
    with TableWriter(ctx.folder, ratings_spec(release)) as long_form, \
            TableWriter(ctx.folder, items_spec(release, keys)) as wide_form:
        current = None
        for chunk in selectors.score_rows(ctx.campaign_ids, with_comments=release.include_comments):
            long_rows, done = [], []
            for (item_pk, campaign_pk, item_id, prompt_id, response_id, response_pk, model_pk, rating_pk,
                 annotator_pk, seconds, revision, comment, axis_pk, score, turn) in chunk:
                if current is None or current.pk != item_pk:
                    if current is not None:
                        done.append(current)
                    head = (item_id, slugs[campaign_pk], prompt_id, response_id, model_names[model_pk])
                    current = _ItemBeingRead(item_pk, index[campaign_pk], head, response_pk, model_pk)
                if score is None:
                    continue  # an item nobody rated yet
                key = axes[axis_pk].key
                if not current.ratings or current.ratings[-1][0] != rating_pk:
                    current.ratings.append((rating_pk, annotator_pk, comment))
                long_rows.append(_long_row(ctx, current.head, annotator_pk, key, score, turn, seconds, revision,
                                           comment))
                h_campaign(current.campaign_index), h_item(item_pk), h_annotator(annotator_pk), h_axis(axis_pk)
                h_score(score), h_turn(turn or 0)
                if turn is None:  # the items table holds scores of the whole conversation
                    current.scores.setdefault(key, {})[rating_pk] = score
            long_form.write(long_rows)
            wide_form.write([_wide_row(ctx, item, keys) for item in done])
            _collect(ctx, done, items, overall)
            ctx.advance(len(chunk))
        if current is not None:
            wide_form.write([_wide_row(ctx, current, keys)])
            _collect(ctx, [current], items, overall)
    campaign, item, annotator, axis, score, turn = human.arrays()
    item, annotator, axis = narrowed(item), narrowed(annotator), narrowed(axis)
    item_campaign, item_pk, item_model = items.arrays()
    overall_key, overall_mean = overall.arrays()
    order = np.argsort(overall_key, kind="stable")
    scores = HumanScores(campaign, item, annotator, axis, score, item_campaign, item_pk, item_model,
                         overall_key[order], overall_mean[order], turn)
    return long_form.files + wide_form.files, scores


def _long_row(ctx, head, annotator_pk, key, score, turn, seconds, revision, comment):
    annotator = ctx.annotators[annotator_pk]
    return (*head, ctx.names[annotator_pk], annotator.tier, annotator.is_external, key, score, seconds, revision, turn,
            *opted_in_values(ctx.release, annotator, comment))


def _wide_row(ctx, item, keys):
    rating_pks = [rating_pk for rating_pk, _, _ in item.ratings]
    row = [*item.head, len(item.ratings), [ctx.names[pk] for _, pk, _ in item.ratings],
           [ctx.annotators[pk].tier for _, pk, _ in item.ratings]]
    for key in keys:
        given = item.scores.get(key, {})
        values = [given.get(pk) for pk in rating_pks]
        present = [value for value in values if value is not None]
        row += [values, sum(present) / len(present) if present else None]
    answers = [({key: given[pk] for key, given in item.scores.items() if pk in given}, "") for pk in rating_pks]
    final = ctx.final_labels.of(item.pk, item.head[1], answers)
    row += [(final.label or {}).get(key) for key in keys]
    row.append(final.provenance)
    if ctx.release.include_comments:
        row.append([comment or "" for _, _, comment in item.ratings])
    return (*row, *ctx.final_labels.note_values(ctx.release, item.pk))


def _collect(ctx, done, items, overall):
    if not done:
        return
    items.extend([i.campaign_index for i in done], [i.pk for i in done], [i.model_pk for i in done])
    n, with_overall = len(ctx.campaigns), _campaigns_with_overall(ctx)
    scored = [(i.response_pk * n + i.campaign_index, _overall(i, i.campaign_index in with_overall)) for i in done]
    scored = [(key, mean) for key, mean in scored if mean is not None]
    if scored:
        overall.extend(*zip(*scored))


def _campaigns_with_overall(ctx):
    """Indexes of the campaigns whose rubric has an overall axis."""
    return {index for index, campaign in enumerate(ctx.campaigns)
            if any(axis.key == OVERALL_AXIS for axis in ctx.axes_by_rubric.get(campaign.rubric_id, []))}


def _overall(item, by_overall_axis):
    """The item's mean overall score; for a rubric without an overall axis, the mean of all its scores."""
    if by_overall_axis:
        values = list(item.scores.get(OVERALL_AXIS, {}).values())
    else:
        values = [score for by_rating in item.scores.values() for score in by_rating.values()]
    return sum(values) / len(values) if values else None


# ---------------------------------------------------------------------------------------------------------
# Pass 2: preference pairs by mean overall score


def preference_pairs(ctx, human):
    """Pass 2's preference pairs: a function from the prompts just read to their rows."""
    return lambda prompts: _preference_pair_rows(ctx, human, prompts)


def _preference_pair_rows(ctx, human, prompts):
    """Yield the preference pairs of ``prompts`` in each campaign: every two responses whose mean overall
    scores differ by at least the release's threshold, the better one chosen; best-scored pairs first."""
    threshold, n = ctx.release.dpo_threshold, len(ctx.campaigns)
    for campaign_index, campaign in enumerate(ctx.campaigns):
        for prompt in prompts:
            means = human.overall_of([r[0] for r in prompt.responses], campaign_index, n)
            scored = sorted(((mean, response) for mean, response in zip(means.tolist(), prompt.responses)
                             if not np.isnan(mean)), key=lambda pair: (-pair[0], pair[1][0]))
            for (high, chosen), (low, rejected) in combinations(scored, 2):
                if high - low >= threshold - 1e-9:
                    yield _pair_row(campaign.slug, prompt, chosen, rejected, high, low)


def _pair_row(slug, prompt, chosen, rejected, high, low):
    return (slug, prompt.prompt_id, first_turn(prompt.turns), first_turn(chosen[3]), first_turn(rejected[3]), high,
            low, high - low, chosen[2], rejected[2], chosen[1], rejected[1], len(prompt.turns))


# ---------------------------------------------------------------------------------------------------------
# Pass 3: verdicts


@dataclass
class JudgeScores(JudgedArrays):
    """Scored verdicts as numeric arrays, one entry per score (exports.builders.JudgedArrays)."""

    TYPECODES: ClassVar = ("h", "q", "q", "q", "q", "h", "h", "h")
    axis: np.ndarray
    score: np.ndarray
    sample: np.ndarray
    turn: np.ndarray  # 0: the whole conversation


def write_verdicts(ctx):
    """Pass 3. Returns the WrittenFiles of the verdicts table and the JudgeScores of the release."""
    axes, slugs, index = ctx.axes, ctx.slugs, ctx.campaign_index
    last_verdict = None

    def read(chunk, tally):
        nonlocal last_verdict
        rows, numbers = [], []
        for (verdict_pk, item_pk, campaign_pk, item_id, judge_pk, job_pk, sample, turn, status, error_kind,
             rationale, axis_pk, score) in chunk:
            if verdict_pk != last_verdict:  # a verdict's rows are one per axis
                last_verdict = verdict_pk
                tally.count((index[campaign_pk], judge_pk, job_pk or -1, status))
            key = axes[axis_pk].key if axis_pk is not None else None
            rows.append((item_id, slugs[campaign_pk], *tally.head(judge_pk, job_pk), sample, turn, status, error_kind,
                         key, score, rationale))
            if score is not None:
                numbers.append((index[campaign_pk], judge_pk, job_pk or -1, item_pk, axis_pk, score, sample, turn or 0))
        return rows, numbers

    return write_verdict_pass(ctx, VERDICTS, selectors.verdict_rows(ctx.campaign_ids), read, JudgeScores)

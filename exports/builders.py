"""The tables of a release, built from the database in three streaming passes.

1. Scores (items × ratings × axes, in item order) → ``ratings`` (long form: one row per item ×
   annotator × axis) and ``items`` (wide form: one row per item, per axis all scores and their mean),
   and the compact arrays the agreement and meta-evaluation figures are computed from.
2. Responses with their prompts (in prompt order) → ``prompts``, ``responses`` and
   ``preference_pairs`` (for each prompt, the pairs of responses whose mean human overall scores differ
   by at least the release's threshold).
3. Verdicts with their scores (in verdict order) → ``verdicts`` (one row per verdict × axis; a failed
   verdict, which has no scores, is one row with no axis and no score), and the judges' score arrays.

``models`` is small and written from one query. Each pass holds one chunk of rows, one item or prompt
being gathered, and numeric arrays (a few bytes per score) for the statistics.
"""

import json
from array import array
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pyarrow as pa

from exports import selectors
from exports.tables import Column, TableSpec, TableWriter

OVERALL_AXIS = "overall"

STRING, BOOL, INT16, INT32, FLOAT = pa.string(), pa.bool_(), pa.int16(), pa.int32(), pa.float64()
STRINGS, INTS = pa.list_(pa.string()), pa.list_(pa.int16())


@dataclass
class BuildContext:
    """What every pass needs to know about the release: its campaigns, axes, annotators and models."""

    release: object
    folder: object
    campaigns: list
    axes_by_rubric: dict
    annotators: dict  # annotator pk → selectors.AnnotatorRow
    names: dict  # annotator pk → release pseudonym
    models: list
    progress: object = None

    @property
    def pairwise(self):
        """Whether the release's campaigns compare pairs (a release holds one kind of campaign)."""
        return bool(self.campaigns) and self.campaigns[0].rubric.kind == "pairwise"

    @property
    def campaign_ids(self):
        return [campaign.pk for campaign in self.campaigns]

    @property
    def campaign_index(self):
        return {campaign.pk: index for index, campaign in enumerate(self.campaigns)}

    @property
    def axes(self):
        """{axis pk: RubricAxis} over every rubric of the release."""
        return {axis.pk: axis for axes in self.axes_by_rubric.values() for axis in axes}

    @property
    def axis_keys(self):
        """Every axis key of the release's rubrics, in rubric order, each once."""
        keys = []
        for campaign in self.campaigns:
            keys += [axis.key for axis in self.axes_by_rubric.get(campaign.rubric_id, []) if axis.key not in keys]
        return keys

    @property
    def campaigns_with_overall(self):
        """Indexes of the campaigns whose rubric has an overall axis."""
        return {index for index, campaign in enumerate(self.campaigns)
                if any(axis.key == OVERALL_AXIS for axis in self.axes_by_rubric.get(campaign.rubric_id, []))}

    @property
    def model_names(self):
        return {model.pk: model.name for model in self.models}

    def advance(self, rows):
        if self.progress:
            self.progress.advance(rows)


# ---------------------------------------------------------------------------------------------------------
# Table specs


def ratings_spec(release):
    columns = [
        Column("item_id", STRING, "Public id of the rated item (items.item_id)."),
        Column("campaign", STRING, "Slug of the campaign the item belongs to."),
        Column("prompt_id", STRING, "Public id of the prompt (prompts.prompt_id)."),
        Column("response_id", STRING, "Public id of the rated response (responses.response_id)."),
        Column("model", STRING, "The language model that wrote the response (models.model)."),
        Column("annotator", STRING, "The annotator's pseudonym in this release (ann-…); unrelated across releases."),
        Column("annotator_tier", STRING, "professional, graduate, undergraduate, vendor or external."),
        Column("annotator_external", BOOL, "Whether the rating was made outside the platform and imported."),
        Column("axis", STRING, "Key of the rubric axis (rubric.json)."),
        Column("score", INT16, "The score on the axis, within the axis range."),
        Column("seconds_spent", INT32, "Seconds the annotator spent on the item, when known."),
        Column("revision", INT16, "1 for a first rating, more when the annotator revised it (latest kept)."),
    ]
    columns += opted_in_columns(release)
    return TableSpec("ratings", "Human ratings in long form: one row per item × annotator × axis.", tuple(columns))


def opted_in_columns(release):
    """The columns a lead may add to a table of human judgments: user names, e-mails, comments."""
    columns = []
    if release.include_usernames:
        columns.append(Column("annotator_username", STRING, "The annotator's user name (the lead opted in)."))
    if release.include_emails:
        columns.append(Column("annotator_email", STRING, "The annotator's e-mail address (the lead opted in)."))
    if release.include_comments:
        columns.append(Column("comment", STRING, "The annotator's free-text comment (the lead opted in)."))
    return columns


def opted_in_values(release, annotator, comment):
    """The values of opted_in_columns for one judgment."""
    values = ()
    if release.include_usernames:
        values += (annotator.username,)
    if release.include_emails:
        values += (annotator.email,)
    if release.include_comments:
        values += (comment or "",)
    return values


def items_spec(release, axis_keys):
    columns = [
        Column("item_id", STRING, "Public id of the item."),
        Column("campaign", STRING, "Slug of the campaign."),
        Column("prompt_id", STRING, "Public id of the prompt."),
        Column("response_id", STRING, "Public id of the response."),
        Column("model", STRING, "The language model that wrote the response."),
        Column("n_ratings", INT32, "How many annotators rated the item."),
        Column("annotators", STRINGS, "Pseudonyms of the annotators, in the order of the score lists."),
        Column("annotator_tiers", STRINGS, "Their tiers, in the same order."),
    ]
    for key in axis_keys:
        columns += [
            Column(f"{key}_scores", INTS, f"Scores on {key}, one per annotator (null where one gave none)."),
            Column(f"{key}_mean", FLOAT, f"Mean of the {key} scores; null when there are none."),
        ]
    if release.include_comments:
        columns.append(Column("comments", STRINGS, "The annotators' comments, in the same order (opted in)."))
    return TableSpec("items", "Rated items in wide form: one row per item, all scores per axis and their mean.",
                     tuple(columns))


PROMPTS = TableSpec("prompts", "The prompts, one row each.", (
    Column("prompt_id", STRING, "Public id of the prompt."),
    Column("source", STRING, "Source benchmark."),
    Column("external_id", STRING, "Id of the prompt in its source."),
    Column("category", STRING, "Category, when the source gives one."),
    Column("prompt", STRING, "The first user turn."),
    Column("turns", STRINGS, "Every user turn, in order."),
    Column("reference", STRING, "Reference answer, when there is one."),
    Column("context", STRING, "Audience or style constraint, when there is one."),
    Column("metadata", STRING, "Other fields of the source, as JSON text."),
))

RESPONSES = TableSpec("responses", "The rated responses, one row each.", (
    Column("response_id", STRING, "Public id of the response."),
    Column("prompt_id", STRING, "The prompt it answers."),
    Column("model", STRING, "The language model that wrote it."),
    Column("response", STRING, "The answer to the first user turn."),
    Column("turns", STRINGS, "The answer to each user turn, in order."),
    Column("metadata", STRING, "Other fields, as JSON text."),
))

MODELS = TableSpec("models", "The evaluated language models.", (
    Column("model", STRING, "Name."),
    Column("family", STRING, "Model family."),
    Column("size", STRING, "Size, e.g. 7B."),
    Column("checkpoint", STRING, "Checkpoint or API version."),
    Column("is_japanese", BOOL, "Whether the model is Japanese-specific."),
))

# Who judged, and how: the first columns after the item in both kinds of verdicts table.
JUDGE_COLUMNS = (
    Column("judge", STRING, "Name of the judge configuration."),
    Column("judge_external", BOOL, "Whether the verdicts were imported from another tool."),
    Column("job_id", STRING, "Public id of the judge job; null for imported verdicts."),
    Column("judge_model", STRING, "The model asked, as the job sent it."),
    Column("judge_template", STRING, "Key of the prompt template."),
    Column("judge_template_version", INT16, "Version of the prompt template."),
    Column("judge_temperature", FLOAT, "Sampling temperature."),
)

VERDICTS = TableSpec("verdicts", "LLM judges' verdicts in long form: one row per verdict × axis; a failed "
                     "verdict (unparseable, refused, truncated, API error) is one row with no axis and no score.", (
    Column("item_id", STRING, "Public id of the judged item."),
    Column("campaign", STRING, "Slug of the campaign."),
    *JUDGE_COLUMNS,
    Column("sample", INT16, "Sample number, when a judge is asked several times per item."),
    Column("parse_status", STRING, "ok or imported for a scored verdict; otherwise the kind of failure."),
    Column("error_kind", STRING, "Detail of a failure."),
    Column("axis", STRING, "Key of the rubric axis; null for a failed verdict."),
    Column("score", INT16, "The judge's score; null for a failed verdict (a failure is never a score)."),
    Column("rationale", STRING, "The judge's stated reasons."),
))

PREFERENCE_PAIRS = TableSpec("preference_pairs", "Preference pairs for preference tuning (DPO): two responses "
                             "to one prompt whose mean human overall scores differ by at least the threshold.", (
    Column("campaign", STRING, "Slug of the campaign both responses were rated in."),
    Column("prompt_id", STRING, "Public id of the prompt."),
    Column("prompt", STRING, "The first user turn."),
    Column("chosen", STRING, "The better-rated response (its first turn)."),
    Column("rejected", STRING, "The worse-rated response (its first turn)."),
    Column("chosen_score", FLOAT, "Mean human overall score of the chosen response."),
    Column("rejected_score", FLOAT, "Mean human overall score of the rejected response."),
    Column("score_margin", FLOAT, "chosen_score − rejected_score."),
    Column("chosen_model", STRING, "Model of the chosen response."),
    Column("rejected_model", STRING, "Model of the rejected response."),
    Column("chosen_response_id", STRING, "Public id of the chosen response."),
    Column("rejected_response_id", STRING, "Public id of the rejected response."),
    Column("n_turns", INT16, "Turns of the conversation; for more than one, the full texts are in prompts.turns "
                             "and responses.turns."),
))
PAIRS_PER_WRITE = 2_000


# ---------------------------------------------------------------------------------------------------------
# Pass 1: scores → ratings and items


@dataclass
class HumanScores:
    """The scores of a release as numeric arrays (campaign index, item pk, annotator pk, axis pk, score),
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


class _Columns:
    """Numeric columns appended to row by row (as compact arrays, not Python objects) or chunk by chunk."""

    def __init__(self, *typecodes):
        self.columns = [array(code) for code in typecodes]

    def extend(self, *columns):
        for target, column in zip(self.columns, columns):
            target.extend(column)

    def arrays(self):
        return [np.frombuffer(column, dtype=column.typecode) if len(column) else np.empty(0, column.typecode)
                for column in self.columns]


def write_ratings_and_items(ctx):
    """Pass 1. Returns the WrittenFiles of both tables and the HumanScores of the release."""
    release = ctx.release
    axes, keys, slugs = ctx.axes, ctx.axis_keys, {c.pk: c.slug for c in ctx.campaigns}
    model_names, index = ctx.model_names, ctx.campaign_index
    human = _Columns("h", "q", "q", "q", "h")  # campaign index, item pk, annotator pk, axis pk, score
    h_campaign, h_item, h_annotator, h_axis, h_score = (column.append for column in human.columns)
    items = _Columns("h", "q", "q")
    overall = _Columns("q", "d")
    with TableWriter(ctx.folder, ratings_spec(release)) as long_form, \
            TableWriter(ctx.folder, items_spec(release, keys)) as wide_form:
        current = None
        for chunk in selectors.score_rows(ctx.campaign_ids, with_comments=release.include_comments):
            long_rows, done = [], []
            for (item_pk, campaign_pk, item_id, prompt_id, response_id, response_pk, model_pk, rating_pk,
                 annotator_pk, seconds, revision, comment, axis_pk, score) in chunk:
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
                current.scores.setdefault(key, {})[rating_pk] = score
                long_rows.append(_long_row(ctx, current.head, annotator_pk, key, score, seconds, revision, comment))
                h_campaign(current.campaign_index), h_item(item_pk), h_annotator(annotator_pk), h_axis(axis_pk)
                h_score(score)
            long_form.write(long_rows)
            wide_form.write([_wide_row(ctx, item, keys) for item in done])
            _collect(ctx, done, items, overall)
            ctx.advance(len(chunk))
        if current is not None:
            wide_form.write([_wide_row(ctx, current, keys)])
            _collect(ctx, [current], items, overall)
    campaign, item, annotator, axis, score = human.arrays()
    item_campaign, item_pk, item_model = items.arrays()
    overall_key, overall_mean = overall.arrays()
    order = np.argsort(overall_key, kind="stable")
    scores = HumanScores(campaign, item, annotator, axis, score, item_campaign, item_pk, item_model,
                         overall_key[order], overall_mean[order])
    return long_form.files + wide_form.files, scores


def _long_row(ctx, head, annotator_pk, key, score, seconds, revision, comment):
    annotator = ctx.annotators[annotator_pk]
    return (*head, ctx.names[annotator_pk], annotator.tier, annotator.is_external, key, score, seconds, revision,
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
    if ctx.release.include_comments:
        row.append([comment or "" for _, _, comment in item.ratings])
    return tuple(row)


def _collect(ctx, done, items, overall):
    if not done:
        return
    items.extend([i.campaign_index for i in done], [i.pk for i in done], [i.model_pk for i in done])
    n, with_overall = len(ctx.campaigns), ctx.campaigns_with_overall
    scored = [(i.response_pk * n + i.campaign_index, _overall(i, i.campaign_index in with_overall)) for i in done]
    scored = [(key, mean) for key, mean in scored if mean is not None]
    if scored:
        overall.extend(*zip(*scored))


def _overall(item, by_overall_axis):
    """The item's mean overall score; for a rubric without an overall axis, the mean of all its scores."""
    if by_overall_axis:
        values = list(item.scores.get(OVERALL_AXIS, {}).values())
    else:
        values = [score for by_rating in item.scores.values() for score in by_rating.values()]
    return sum(values) / len(values) if values else None


# ---------------------------------------------------------------------------------------------------------
# Pass 2: responses and prompts → prompts, responses, preference pairs


@dataclass
class _PromptBeingRead:
    prompt_id: str
    turns: list
    pk: int = 0
    responses: list = field(default_factory=list)  # [(response pk, response id, model, turns)]


def write_prompts_responses_pairs(ctx, human, pairs_spec=PREFERENCE_PAIRS, pairs_of=None):
    """Pass 2. Returns the WrittenFiles of the three tables. The preference pairs are ``pairs_of(prompts)``
    (rows of ``pairs_spec`` for the prompts just read), by default those of the scores in ``human``."""
    names = ctx.model_names
    pairs_of = pairs_of or (lambda prompts: preference_pairs(ctx, human, prompts))
    with TableWriter(ctx.folder, PROMPTS) as prompts, TableWriter(ctx.folder, RESPONSES) as responses, \
            TableWriter(ctx.folder, pairs_spec) as pairs:
        current, current_pk = None, None
        for chunk in selectors.response_rows(ctx.campaign_ids):
            prompt_rows, response_rows, done = [], [], []
            for (prompt_pk, prompt_id, source, external_id, category, prompt_turns, reference, context,
                 prompt_metadata, response_pk, response_id, model_pk, response_turns, response_metadata) in chunk:
                if prompt_pk != current_pk:
                    if current is not None:
                        done.append(current)
                    turns = _turns(prompt_turns)
                    prompt_rows.append((prompt_id, source, external_id, category, _first(turns), turns,
                                        reference, context, prompt_metadata))
                    current, current_pk = _PromptBeingRead(prompt_id, turns, prompt_pk), prompt_pk
                turns = _turns(response_turns)
                response_rows.append((response_id, prompt_id, names[model_pk], _first(turns), turns,
                                      response_metadata))
                current.responses.append((response_pk, response_id, names[model_pk], turns))
            prompts.write(prompt_rows)
            responses.write(response_rows)
            write_in_batches(pairs, pairs_of(done), PAIRS_PER_WRITE)
            ctx.advance(len(chunk))
        if current is not None:
            write_in_batches(pairs, pairs_of([current]), PAIRS_PER_WRITE)
    return prompts.files + responses.files + pairs.files


def write_in_batches(writer, rows, size):
    """Write the rows of an iterable ``size`` at a time: a prompt with many responses makes many pairs."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            writer.write(batch)
            batch = []
    writer.write(batch)


def _turns(text):
    turns = json.loads(text) if text else []
    return [str(turn) for turn in turns] if isinstance(turns, list) else [str(turns)]


def _first(turns):
    return turns[0] if turns else ""


def preference_pairs(ctx, human, prompts):
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
    return (slug, prompt.prompt_id, _first(prompt.turns), _first(chosen[3]), _first(rejected[3]), high, low,
            high - low, chosen[2], rejected[2], chosen[1], rejected[1], len(prompt.turns))


# ---------------------------------------------------------------------------------------------------------
# Pass 3: verdicts


@dataclass
class JudgeScores:
    """Scored verdicts as numeric arrays, and verdict counts by (campaign index, judge pk, job pk, status)."""

    campaign: np.ndarray
    judge: np.ndarray
    job: np.ndarray  # -1 for imported verdicts
    item: np.ndarray
    axis: np.ndarray
    score: np.ndarray
    sample: np.ndarray
    counts: dict


def write_verdicts(ctx):
    """Pass 3. Returns the WrittenFiles of the verdicts table and the JudgeScores of the release."""
    judges, jobs = selectors.verdict_judges(ctx.campaign_ids)
    axes, slugs, index = ctx.axes, {c.pk: c.slug for c in ctx.campaigns}, ctx.campaign_index
    heads = {}
    scores = _Columns("h", "q", "q", "q", "q", "h", "h")
    counts = {}
    last_verdict = None
    with TableWriter(ctx.folder, VERDICTS) as writer:
        for chunk in selectors.verdict_rows(ctx.campaign_ids):
            rows, numbers = [], []
            for (verdict_pk, item_pk, campaign_pk, item_id, judge_pk, job_pk, sample, status, error_kind,
                 rationale, axis_pk, score) in chunk:
                if verdict_pk != last_verdict:
                    last_verdict = verdict_pk
                    count_key = (index[campaign_pk], judge_pk, job_pk or -1, status)
                    counts[count_key] = counts.get(count_key, 0) + 1
                if (judge_pk, job_pk) not in heads:
                    heads[judge_pk, job_pk] = _judge_head(judges[judge_pk], jobs.get(job_pk))
                key = axes[axis_pk].key if axis_pk is not None else None
                rows.append((item_id, slugs[campaign_pk], *heads[judge_pk, job_pk], sample, status, error_kind,
                             key, score, rationale))
                if score is not None:
                    numbers.append((index[campaign_pk], judge_pk, job_pk or -1, item_pk, axis_pk, score, sample))
            writer.write(rows)
            if numbers:
                scores.extend(*zip(*numbers))
            ctx.advance(len(chunk))
    return writer.files, JudgeScores(*scores.arrays(), counts=counts), judges, jobs


def _judge_head(judge, job):
    """Judge columns of a verdict row: from the job's frozen request parameters, else from the config."""
    if job is not None:
        source = job.spec
    elif judge.is_external:
        source = {"model": judge.model}
    else:
        source = {"model": judge.model, "template": judge.template, "template_version": judge.template_version,
                  "temperature": judge.temperature}
    return (judge.name, judge.is_external, str(job.public_id) if job is not None else None,
            source.get("model") or None, source.get("template") or None, source.get("template_version"),
            source.get("temperature"))


# ---------------------------------------------------------------------------------------------------------
# Models


def write_models(ctx):
    with TableWriter(ctx.folder, MODELS) as writer:
        writer.write([(m.name, m.family, m.size, m.checkpoint, m.is_japanese) for m in ctx.models])
    return writer.files

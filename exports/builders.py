"""The tables of a release, built from the database in three streaming passes; what every kind of campaign
shares. The kind of the release's campaigns (exports.kinds) supplies the rest: its tables of human judgments
and judge verdicts, and its preference pairs.

1. Human judgments → the kind's tables (likert: ``ratings`` and ``items``; pairwise: ``votes`` and
   ``items``), and the compact arrays the figures are computed from. An ``items`` table gives each item's
   final label and its provenance (``FinalLabels``).
2. Responses with their prompts (in prompt order) → ``prompts``, ``responses`` and ``preference_pairs``
   (the kind's: ``write_prompts_responses_pairs``).
3. Judge verdicts (in verdict order) → the kind's ``verdicts`` table, and the judges' arrays.

``models`` is small and written from one query. Each pass holds one chunk of rows, one item or prompt
being gathered, and numeric arrays (a few bytes per score) for the statistics.
"""

import json
from array import array
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC

import numpy as np
import pyarrow as pa
from django.utils.dateparse import parse_datetime

from annotation import kinds as annotation_kinds
from annotation.adjudication_selectors import adjudicated_answers
from annotation.final_labels import PROVENANCES, final_label
from exports import selectors
from exports.tables import Column, TableSpec, TableWriter, columns

STRING, FLOAT, INT16 = pa.string(), pa.float64(), pa.int16()
STRINGS, INTS = pa.list_(pa.string()), pa.list_(pa.int16())


@dataclass
class BuildContext:
    """What every pass needs to know about the release: its campaigns and their kind (a release holds
    campaigns of one kind: its exports.kinds module), axes, annotators and models."""

    release: object
    folder: object
    campaigns: list
    kind: object
    axes_by_rubric: dict
    annotators: dict  # annotator pk → selectors.AnnotatorRow
    names: dict  # annotator pk → release pseudonym
    models: list
    progress: object = None
    final_labels: "FinalLabels" = None

    @property
    def campaign_ids(self):
        return [campaign.pk for campaign in self.campaigns]

    @property
    def campaign_index(self):
        return {campaign.pk: index for index, campaign in enumerate(self.campaigns)}

    @property
    def slugs(self):
        """{campaign pk: slug}"""
        return {campaign.pk: campaign.slug for campaign in self.campaigns}

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
    def model_names(self):
        return {model.pk: model.name for model in self.models}

    def advance(self, rows):
        if self.progress:
            self.progress.advance(rows)


class NumericColumns:
    """Numeric columns appended to row by row (as compact arrays, not Python objects) or chunk by chunk."""

    def __init__(self, *typecodes):
        self.columns = [array(code) for code in typecodes]

    def extend(self, *columns):
        for target, column in zip(self.columns, columns):
            target.extend(column)

    def arrays(self):
        return [np.frombuffer(column, dtype=column.typecode) if len(column) else np.empty(0, column.typecode)
                for column in self.columns]


def narrowed(ids):
    """64-bit ids in 32 bits when every one fits. A release keeps a million scores' item, annotator and axis ids
    for its statistics, which use them as labels only (masks, unique, joins), never in arithmetic: 4 MB less
    per column and million rows, held from the first pass to the last figure."""
    bounds = np.iinfo(np.int32)
    if ids.dtype == np.int64 and len(ids) and bounds.min <= ids.min() and ids.max() <= bounds.max:
        return ids.astype(np.int32)
    return ids


# ---------------------------------------------------------------------------------------------------------
# Tables of every kind


PROMPTS = TableSpec("prompts", "The prompts, one row each.", columns("""
    prompt_id    string    Public id of the prompt.
    source       string    Source benchmark.
    external_id  string    Id of the prompt in its source.
    category     string    Category, when the source gives one.
    prompt       string    The first user turn.
    turns        string[]  Every user turn, in order.
    reference    string    Reference answer, when there is one.
    context      string    Audience or style constraint, when there is one.
    metadata     string    Other fields of the source, as JSON text.
"""))

RESPONSES = TableSpec("responses", "The rated responses, one row each.", columns("""
    response_id  string    Public id of the response.
    prompt_id    string    The prompt it answers.
    model        string    The language model that wrote it.
    response     string    The answer to the first user turn.
    turns        string[]  The answer to each user turn, in order.
    metadata     string    Other fields, as JSON text.
"""))

MODELS = TableSpec("models", "The evaluated language models.", columns("""
    model        string  Name.
    family       string  Model family.
    size         string  Size, e.g. 7B.
    checkpoint   string  Checkpoint or API version.
    is_japanese  bool    Whether the model is Japanese-specific.
"""))

# Who judged, and how: the first columns after the item in every kind's verdicts table.
JUDGE_COLUMNS = columns("""
    judge                   string  Name of the judge configuration.
    judge_external          bool    Whether the verdicts were imported from another tool.
    job_id                  string  Public id of the judge job; null for imported verdicts.
    judge_model             string  The model asked, as the job sent it.
    judge_template          string  Key of the prompt template.
    judge_template_version  int16   Version of the prompt template.
    judge_temperature       double  Sampling temperature.
""")
PAIRS_PER_WRITE = 2_000


def opted_in_columns(release):
    """The columns a lead may add to a table of human judgments: user names, e-mails, comments."""
    found = []
    if release.include_usernames:
        found.append(Column("annotator_username", STRING, "The annotator's user name (the lead opted in)."))
    if release.include_emails:
        found.append(Column("annotator_email", STRING, "The annotator's e-mail address (the lead opted in)."))
    if release.include_comments:
        found.append(Column("comment", STRING, "The annotator's free-text comment (the lead opted in)."))
    return found


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


# The items table's last columns, after the kind's final label (exports.kinds: likert final_<axis>, pairwise
# final_verdict): where the label comes from, and the adjudicator's note when the lead opts in to free text.
FINAL_PROVENANCE = Column(
    "final_provenance", STRING, "Where the final label comes from: unanimous (every rater, at least two, gave "
    "it), majority (more than half of the raters gave it, key by key), adjudicated (an adjudicator recorded it), "
    "single (one rater) or unresolved (no label: a tie, or no rating).")


def adjudication_note_columns(release):
    """The adjudicator's note, a free text published like the comments: only when the lead opts in."""
    if not release.include_comments:
        return []
    return [Column("adjudication_note", STRING, "The adjudicator's free-text note on the final label (the lead "
                                                "opted in to comments); null for an item not adjudicated.")]


class FinalLabels:
    """The final label of each item, as a build's first pass reads the item's ratings (the rule is
    annotation.final_labels; the answers are the kind's, annotation.kinds: ``final_answer``). The adjudications
    are read up front: there are few, one per item whose ratings disagreed. Tallies the provenances per
    campaign for the card and the release's stats."""

    def __init__(self, release, campaigns):
        ids = [campaign.pk for campaign in campaigns]
        self.kind = annotation_kinds.for_campaign(campaigns[0])
        self.adjudicated = adjudicated_answers(self.kind, item__campaign_id__in=ids)
        self.notes = selectors.adjudication_notes(ids) if release.include_comments else {}
        self.counts = {campaign.slug: dict.fromkeys(PROVENANCES, 0) for campaign in campaigns}

    def of(self, item_pk, campaign_slug, ratings):
        """The FinalLabel of an item rated with ``ratings``, [(scores: axis key → score, verdict)]."""
        final = final_label([self.kind.final_answer(scores, verdict) for scores, verdict in ratings],
                            self.adjudicated.get(item_pk))
        self.counts[campaign_slug][final.provenance] += 1
        return final

    def note_values(self, release, item_pk):
        """The values of adjudication_note_columns for one item."""
        return (self.notes.get(item_pk),) if release.include_comments else ()


def judge_head(judge, job):
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


def iso_utc(value):
    """A database timestamp (a datetime, or text on SQLite) as ISO 8601 in UTC, to the second; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def write_chunks(ctx, writer, chunks, read, numbers):
    """Write the table rows of each chunk of a stream and keep its numeric rows: ``read(chunk)`` returns both
    (lists of tuples) and ``numbers`` (NumericColumns) takes the numeric ones. Advances the build's progress."""
    for chunk in chunks:
        rows, numeric = read(chunk)
        writer.write(rows)
        if numeric:
            numbers.extend(*zip(*numeric))
        ctx.advance(len(chunk))


@dataclass
class JudgedArrays:
    """What every kind's verdict pass keeps: of each judgment, as numeric arrays, its campaign index, judge pk,
    job pk (-1 for imported verdicts) and item pk (a kind's pass adds its own columns); and its VerdictTally."""

    campaign: np.ndarray
    judge: np.ndarray
    job: np.ndarray
    item: np.ndarray
    tally: "VerdictTally" = field(kw_only=True)


class VerdictTally:
    """What every kind's verdict pass keeps beside its arrays: the judges and jobs of the verdicts, each
    (judge, job)'s columns of a verdict row, and the verdicts counted by (campaign index, judge pk, job pk or
    -1, parse status)."""

    def __init__(self, ctx):
        self.judges, self.jobs = selectors.verdict_judges(ctx.campaign_ids)
        self.counts = {}
        self._heads = {}

    def head(self, judge_pk, job_pk):
        head = self._heads.get((judge_pk, job_pk))
        if head is None:
            head = self._heads[judge_pk, job_pk] = judge_head(self.judges[judge_pk], self.jobs.get(job_pk))
        return head

    def count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1


def write_verdict_pass(ctx, spec, chunks, read, arrays):
    """Pass 3 of every kind: write the verdicts table ``spec`` from the stream ``chunks``, ``read(chunk, tally)``
    giving a chunk's table rows and numeric rows (and counting its verdicts on the VerdictTally). Returns the
    WrittenFiles and an ``arrays`` (a JudgedArrays class whose TYPECODES type its fields) of the numeric rows."""
    tally = VerdictTally(ctx)
    numbers = NumericColumns(*arrays.TYPECODES)
    with TableWriter(ctx.folder, spec) as writer:
        write_chunks(ctx, writer, chunks, lambda chunk: read(chunk, tally), numbers)
    campaign, judge, job, item, *rest = numbers.arrays()
    return writer.files, arrays(campaign, narrowed(judge), narrowed(job), narrowed(item), *rest, tally=tally)


def write_table(ctx, spec, rows):
    """Write a small table in one go; returns its WrittenFiles."""
    with TableWriter(ctx.folder, spec) as writer:
        writer.write(rows)
    return writer.files


def write_models(ctx):
    return write_table(ctx, MODELS, [(m.name, m.family, m.size, m.checkpoint, m.is_japanese) for m in ctx.models])


# ---------------------------------------------------------------------------------------------------------
# Pass 2: responses and prompts → prompts, responses, preference pairs


@dataclass
class PromptBeingRead:
    """A prompt and the responses to it read so far: what a kind's preference pairs are made from."""

    prompt_id: str
    turns: list
    pk: int = 0
    responses: list = field(default_factory=list)  # [(response pk, response id, model, turns)]


def write_prompts_responses_pairs(ctx, pairs_spec, pairs_of):
    """Pass 2. Returns the WrittenFiles of the three tables. The preference pairs are ``pairs_of(prompts)``:
    rows of ``pairs_spec`` for the PromptsBeingRead just read (exports.kinds: ``preference_pairs``); a kind
    whose ``pairs_spec`` is None makes none, and has no such table."""
    names = ctx.model_names
    with TableWriter(ctx.folder, PROMPTS) as prompts, TableWriter(ctx.folder, RESPONSES) as responses, \
            (TableWriter(ctx.folder, pairs_spec) if pairs_spec else nullcontext(NoTable())) as pairs:
        current, current_pk = None, None
        for chunk in selectors.response_rows(ctx.campaign_ids):
            prompt_rows, response_rows, done = [], [], []
            for (prompt_pk, prompt_id, source, external_id, category, prompt_turns, reference, context,
                 prompt_metadata, response_pk, response_id, model_pk, response_turns, response_metadata) in chunk:
                if prompt_pk != current_pk:
                    if current is not None:
                        done.append(current)
                    turns = _turns(prompt_turns)
                    prompt_rows.append((prompt_id, source, external_id, category, first_turn(turns), turns,
                                        reference, context, prompt_metadata))
                    current, current_pk = PromptBeingRead(prompt_id, turns, prompt_pk), prompt_pk
                turns = _turns(response_turns)
                response_rows.append((response_id, prompt_id, names[model_pk], first_turn(turns), turns,
                                      response_metadata))
                current.responses.append((response_pk, response_id, names[model_pk], turns))
            prompts.write(prompt_rows)
            responses.write(response_rows)
            write_in_batches(pairs, pairs_of(done), PAIRS_PER_WRITE)
            ctx.advance(len(chunk))
        if current is not None:
            write_in_batches(pairs, pairs_of([current]), PAIRS_PER_WRITE)
    return prompts.files + responses.files + list(pairs.files)


class NoTable:
    """The table of a kind without one (exam releases have no preference pairs): takes rows, writes nothing."""

    files = ()

    def write(self, rows):
        pass


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


def first_turn(turns):
    return turns[0] if turns else ""

"""The tables of a release of pairwise campaigns, in the passes of exports.builders:

1. Votes (in item order) → ``votes`` (one row per human vote, in the item's terms) and ``items`` (one row
   per pair, voted on or not, with its final verdict and the verdict's provenance, exports.builders.FinalLabels),
   and the compact arrays the agreement, the rankings and the preference pairs are computed from.
2. ``preference_pairs``: the items whose human majority prefers one side (see ``item_majorities``).
3. Judge verdicts (in verdict order) → ``verdicts`` (one row per verdict, failures included).

``rankings`` (humans and each judge, per campaign) is written from the statistics
(exports.statistics.ranking_figures), once the three passes are done.
"""

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from annotation.models import PairOrder
from annotation.rubric_definitions import PAIRWISE_VERDICTS
from exports import selectors
from exports.builders import (
    FINAL_PROVENANCE, JUDGE_COLUMNS, MODELS, PROMPTS, RESPONSES, STRINGS, JudgedArrays, NumericColumns,
    adjudication_note_columns, first_turn, iso_utc, opted_in_columns, opted_in_values, write_verdict_pass,
)
from exports.tables import Column, TableSpec, TableWriter, columns

A, B = PAIRWISE_VERDICTS.index("A"), PAIRWISE_VERDICTS.index("B")
ORDERS = PairOrder.values  # a judge verdict's order in JudgeVerdicts: its index here, -1 when unknown


def votes_spec(release):
    return TableSpec("votes", "Human pairwise votes in long form: one row per item × annotator.", columns("""
        item_id             string  Public id of the compared pair (the item).
        campaign            string  Slug of the campaign the item belongs to.
        prompt_id           string  Public id of the prompt both responses answer (prompts.prompt_id).
        model_a             string  Model of the item's first response, A (models.model).
        model_b             string  Model of the item's second response, B.
        response_a_id       string  Public id of response A (responses.response_id).
        response_b_id       string  Public id of response B.
        position            string  The order the annotator was shown: AB (A on the left, first) or BA; null
                                    when unknown (votes imported from elsewhere).
        verdict             string  The vote in the item's terms, whatever the order shown: A or B (that one is
                                    better), tie, both (both good) or neither (neither good).
        annotator           string  The annotator's pseudonym in this release (ann-…); unrelated across releases.
        annotator_tier      string  professional, graduate, undergraduate, vendor or external.
        annotator_external  bool    Whether the vote was made outside the platform and imported.
        seconds_spent       int32   Seconds the annotator spent on the item, when known.
        submitted_at        string  When the vote was first submitted (ISO 8601, UTC).
        revised_at          string  When it was last revised (ISO 8601, UTC); null if never.
        revision            int16   1 for a first vote, more when the annotator revised it (latest kept).
    """) + tuple(opted_in_columns(release)))


def items_spec(release):
    found = list(columns("""
        item_id         string    Public id of the compared pair (votes.item_id).
        campaign        string    Slug of the campaign.
        prompt_id       string    Public id of the prompt.
        model_a         string    Model of response A.
        model_b         string    Model of response B.
        response_a_id   string    Public id of response A.
        response_b_id   string    Public id of response B.
        n_votes         int32     How many annotators voted on the pair.
        annotators      string[]  Pseudonyms of the annotators, in the order of the verdicts.
        verdicts        string[]  Their votes in the item's terms (as in votes.verdict).
        final_verdict   string    The pair's final verdict in the item's terms: A, B, tie, both or neither
                                  (final_provenance says where it comes from); null when unresolved.
    """))
    found.append(FINAL_PROVENANCE)
    if release.include_comments:
        found.append(Column("comments", STRINGS, "The annotators' comments, in the same order (opted in)."))
    found += adjudication_note_columns(release)
    return TableSpec("items", "Every compared pair of the campaigns, voted on or not: one row per item, its votes "
                     "and its final verdict with the verdict's provenance.", tuple(found))


VERDICTS = TableSpec("verdicts", "LLM judges' pairwise verdicts: one row per verdict (item × order shown × "
                     "sample); a failed verdict (unparseable, refused, truncated, API error) has no verdict.",
                     columns("""
    item_id    string  Public id of the judged pair (votes.item_id).
    campaign   string  Slug of the campaign.
    prompt_id  string  Public id of the prompt.
    model_a    string  Model of response A.
    model_b    string  Model of response B.
""") + JUDGE_COLUMNS + columns("""
    order         string  The order the judge was shown: AB or BA (a pair judged in both orders has a row for
                          each); null when unknown.
    sample        int16   Sample number, when a judge is asked several times per item and order.
    parse_status  string  ok or imported for a verdict; otherwise the kind of failure.
    error_kind    string  Detail of a failure.
    verdict       string  A, B, tie, both or neither, in the item's terms; null for a failed verdict (a failure
                          is never a verdict).
    rationale     string  The judge's stated reasons.
"""))

PREFERENCE_PAIRS = TableSpec("preference_pairs", "Preference pairs for preference tuning (DPO): the compared "
                             "pairs whose human majority prefers one response (ties and split votes left out).",
                             columns("""
    campaign              string  Slug of the campaign the pair was voted on in.
    item_id               string  Public id of the compared pair (votes.item_id).
    prompt_id             string  Public id of the prompt.
    prompt                string  The first user turn.
    chosen                string  The preferred response (its first turn).
    rejected              string  The other response (its first turn).
    chosen_model          string  Model of the chosen response.
    rejected_model        string  Model of the rejected response.
    chosen_response_id    string  Public id of the chosen response.
    rejected_response_id  string  Public id of the rejected response.
    n_votes               int16   Human votes on the pair, of every verdict.
    votes_chosen          int16   Votes preferring the chosen response.
    votes_rejected        int16   Votes preferring the rejected response.
    margin                double  (votes_chosen − votes_rejected) / n_votes, above 0 and at most 1.
    n_turns               int16   Turns of the conversation; for more than one, the full texts are in prompts.turns
                                  and responses.turns.
"""))

RANKINGS = TableSpec("rankings", "Rankings of the models per campaign, from the human votes and from each judge's "
                     "verdicts: win, tie and loss rates and Bradley–Terry ratings with 95% bootstrap intervals.",
                     columns("""
    campaign     string  Slug of the campaign.
    source       string  humans, or judge.
    judge        string  Name of the judge; null for the humans.
    job_id       string  Public id of the judge job the verdicts come from; null for humans and imports.
    model        string  The model ranked.
    rank         int16   1 + the number of models whose interval lies wholly above this one's; null without votes.
    n_votes      int32   Votes the model took part in (a judge: one per item).
    wins         int32   Votes it won.
    ties         int32   Votes that were a tie (tie, both, neither).
    losses       int32   Votes it lost.
    win_rate     double  wins / n_votes.
    tie_rate     double  ties / n_votes.
    loss_rate    double  losses / n_votes.
    rating       double  Bradley–Terry rating on the Elo scale: 1000 + 400 log10 of the strength (mean 1000).
    rating_low   double  Lower end of its 95% bootstrap interval.
    rating_high  double  Upper end of its 95% bootstrap interval.
    strength     double  The Bradley–Terry log-strength (natural log, centred on 0).
    note         string  Why the rating is not to be trusted or is missing (never lost, never won, no votes).
"""))


def table_specs(ctx):
    """The tables of a pairwise release, in the card's order (the human votes first)."""
    return [votes_spec(ctx.release), items_spec(ctx.release), PROMPTS, RESPONSES, MODELS, VERDICTS, RANKINGS,
            PREFERENCE_PAIRS]


# ---------------------------------------------------------------------------------------------------------
# Pass 1: votes


@dataclass
class HumanVotes:
    """The votes of a release as numeric arrays (one entry per vote), and per item its campaign index,
    prompt pk and the pks of its responses A and B. Verdicts are indexes into PAIRWISE_VERDICTS."""

    campaign: np.ndarray
    item: np.ndarray
    annotator: np.ndarray
    verdict: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    item_pk: np.ndarray
    item_campaign: np.ndarray
    item_prompt: np.ndarray
    item_response_a: np.ndarray
    item_response_b: np.ndarray
    item_public_id: list


def rows_to_read(campaign_ids):
    """The rows the build's three passes read, for its progress."""
    return (selectors.count_votes(campaign_ids) + selectors.count_responses(campaign_ids)
            + selectors.count_pair_verdicts(campaign_ids))


def write_judgments(ctx):
    """Pass 1: the votes and items tables. Returns their WrittenFiles and the HumanVotes of the release."""
    release, slugs, index, names = ctx.release, ctx.slugs, ctx.campaign_index, ctx.model_names
    votes = NumericColumns("h", "q", "q", "h", "q", "q")
    items = NumericColumns("q", "h", "q", "q", "q")
    item_ids, current = [], None

    def read(chunk):
        """The chunk's vote rows and numeric rows, and the items it finished reading."""
        nonlocal current
        rows, numbers, new_items, done = [], [], [], []
        for (rating_pk, item_pk, campaign_pk, item_id, prompt_pk, prompt_id, response_a, response_b, model_a, model_b,
             response_a_id, response_b_id, position, verdict, annotator_pk, seconds, submitted, revised, revision,
             comment) in chunk:
            if current is None or current.pk != item_pk:
                if current is not None:
                    done.append(current)
                current = _PairBeingRead(item_pk, (item_id, slugs[campaign_pk], prompt_id, names[model_a],
                                                   names[model_b], response_a_id, response_b_id))
            if rating_pk is None:
                continue  # an item nobody voted on
            if not current.votes:
                new_items.append((item_pk, index[campaign_pk], prompt_pk, response_a, response_b))
                item_ids.append(item_id)
            current.votes.append((annotator_pk, verdict, comment))
            annotator = ctx.annotators[annotator_pk]
            row = (*current.head, position or None, verdict, ctx.names[annotator_pk], annotator.tier,
                   annotator.is_external, seconds, iso_utc(submitted), iso_utc(revised), revision)
            rows.append(row + opted_in_values(release, annotator, comment))
            numbers.append((index[campaign_pk], item_pk, annotator_pk, PAIRWISE_VERDICTS.index(verdict), model_a,
                            model_b))
        if new_items:
            items.extend(*zip(*new_items))
        if numbers:
            votes.extend(*zip(*numbers))
        return rows, done

    with TableWriter(ctx.folder, votes_spec(release)) as votes_table, \
            TableWriter(ctx.folder, items_spec(release)) as items_table:
        for chunk in selectors.vote_rows(ctx.campaign_ids, with_comments=release.include_comments):
            rows, done = read(chunk)
            votes_table.write(rows)
            items_table.write([_item_row(ctx, pair) for pair in done])
            ctx.advance(len(chunk))
        if current is not None:
            items_table.write([_item_row(ctx, current)])
    item_pk, item_campaign, item_prompt, response_a, response_b = items.arrays()
    return votes_table.files + items_table.files, HumanVotes(
        *votes.arrays(), item_pk, item_campaign, item_prompt, response_a, response_b, item_ids)


@dataclass
class _PairBeingRead:
    """One item's votes, gathered until the stream moves to the next item."""

    pk: int
    head: tuple  # item id, campaign slug, prompt id, model A, model B, response A id, response B id
    votes: list = field(default_factory=list)  # [(annotator pk, verdict, comment)]


def _item_row(ctx, pair):
    final = ctx.final_labels.of(pair.pk, pair.head[1], [({}, verdict) for _, verdict, _ in pair.votes])
    row = (*pair.head, len(pair.votes), [ctx.names[pk] for pk, _, _ in pair.votes],
           [verdict for _, verdict, _ in pair.votes], (final.label or {}).get("verdict"), final.provenance)
    if ctx.release.include_comments:
        row += ([comment or "" for _, _, comment in pair.votes],)
    return (*row, *ctx.final_labels.note_values(ctx.release, pair.pk))


# ---------------------------------------------------------------------------------------------------------
# Pass 2: preference pairs from the human majority


@dataclass(frozen=True)
class Majority:
    """An item whose votes have a single most common verdict, A or B (module docstring of item_majorities)."""

    campaign_index: int
    item_id: str
    chosen_pk: int
    rejected_pk: int
    n_votes: int
    votes_chosen: int
    votes_rejected: int


def item_majorities(votes):
    """{prompt pk: [Majority, ...]} for the items whose most common verdict is A or B, strictly more common
    than every other verdict (tie, both and neither included): a tie, a split (two verdicts equally
    common) or a majority for tie, both or neither makes no preference pair."""
    if not len(votes.item):
        return {}
    position = np.searchsorted(votes.item_pk, votes.item)
    counts = np.zeros((len(votes.item_pk), len(PAIRWISE_VERDICTS)), dtype=np.int64)
    np.add.at(counts, (position, votes.verdict), 1)
    found = {}
    for row in np.flatnonzero(counts.max(axis=1) > 0):
        ordered = np.sort(counts[row])[::-1]
        leader = int(np.argmax(counts[row]))
        if leader not in (A, B) or ordered[0] == ordered[1]:
            continue
        a_pk, b_pk = int(votes.item_response_a[row]), int(votes.item_response_b[row])
        chosen, rejected = (a_pk, b_pk) if leader == A else (b_pk, a_pk)
        found.setdefault(int(votes.item_prompt[row]), []).append(Majority(
            int(votes.item_campaign[row]), votes.item_public_id[row], chosen, rejected, int(counts[row].sum()),
            int(counts[row, leader]), int(counts[row, B if leader == A else A])))
    return found


def preference_pairs(ctx, votes):
    """Pass 2's preference pairs: a function from the prompts just read to their rows."""
    majorities = item_majorities(votes)
    return lambda prompts: _preference_pair_rows(ctx, majorities, prompts)


def _preference_pair_rows(ctx, majorities, prompts):
    """Yield the preference pair rows of the items of `prompts` (each with its responses read)."""
    slugs = [campaign.slug for campaign in ctx.campaigns]
    for prompt in prompts:
        responses = {response[0]: response for response in prompt.responses}
        for majority in majorities.get(prompt.pk, ()):
            chosen, rejected = responses[majority.chosen_pk], responses[majority.rejected_pk]
            margin = (majority.votes_chosen - majority.votes_rejected) / majority.n_votes
            yield (slugs[majority.campaign_index], majority.item_id, prompt.prompt_id, first_turn(prompt.turns),
                   first_turn(chosen[3]), first_turn(rejected[3]), chosen[2], rejected[2], chosen[1], rejected[1],
                   majority.n_votes, majority.votes_chosen, majority.votes_rejected, margin, len(prompt.turns))


# ---------------------------------------------------------------------------------------------------------
# Pass 3: judge verdicts


@dataclass
class JudgeVerdicts(JudgedArrays):
    """Judge verdicts with a verdict as numeric arrays (exports.builders.JudgedArrays; order: index into ORDERS,
    -1 unknown; verdict: index into PAIRWISE_VERDICTS)."""

    TYPECODES: ClassVar = ("h", "q", "q", "q", "h", "h", "q", "q")
    order: np.ndarray
    verdict: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray


def write_verdicts(ctx):
    """Pass 3. Returns the WrittenFiles of the verdicts table and the JudgeVerdicts of the release."""
    slugs, index, names = ctx.slugs, ctx.campaign_index, ctx.model_names

    def read(chunk, tally):
        rows, scored = [], []
        for (_, item_pk, campaign_pk, item_id, prompt_id, model_a, model_b, judge_pk, job_pk, order, sample, status,
             error_kind, verdict, rationale) in chunk:
            tally.count((index[campaign_pk], judge_pk, job_pk or -1, status))
            rows.append((item_id, slugs[campaign_pk], prompt_id, names[model_a], names[model_b],
                         *tally.head(judge_pk, job_pk), order or None, sample, status, error_kind, verdict or None,
                         rationale))
            if verdict:
                scored.append((index[campaign_pk], judge_pk, job_pk or -1, item_pk,
                               ORDERS.index(order) if order else -1, PAIRWISE_VERDICTS.index(verdict), model_a,
                               model_b))
        return rows, scored

    return write_verdict_pass(ctx, VERDICTS, selectors.pair_verdict_rows(ctx.campaign_ids), read, JudgeVerdicts)

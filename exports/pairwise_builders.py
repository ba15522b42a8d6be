"""The tables of a release of pairwise campaigns, built from the database in streaming passes like the likert
ones (exports.builders), whose prompts, responses and models tables they share.

1. Votes (in item order) → ``votes`` (one row per human vote, in the item's terms), and the compact arrays
   the agreement, the rankings and the preference pairs are computed from.
2. Responses with their prompts → ``prompts``, ``responses`` and ``preference_pairs`` (the items whose
   human majority prefers one side: see ``item_majorities``).
3. Judge verdicts (in verdict order) → ``verdicts`` (one row per verdict, failures included).

``rankings`` (humans and each judge, per campaign) is written by the build from the statistics
(exports.statistics.ranking_figures), once the three passes are done.
"""

from dataclasses import dataclass
from datetime import UTC

import numpy as np
from django.utils.dateparse import parse_datetime

from annotation.rubric_definitions import PAIRWISE_VERDICTS
from exports import selectors
from exports.builders import (
    BOOL, FLOAT, INT16, INT32, JUDGE_COLUMNS, MODELS, PROMPTS, RESPONSES, STRING, _Columns, _first, _judge_head,
    opted_in_columns, opted_in_values,
)
from exports.tables import Column, TableSpec, TableWriter

A, B = PAIRWISE_VERDICTS.index("A"), PAIRWISE_VERDICTS.index("B")
ORDERS = ("AB", "BA")


def votes_spec(release):
    columns = [
        Column("item_id", STRING, "Public id of the compared pair (the item)."),
        Column("campaign", STRING, "Slug of the campaign the item belongs to."),
        Column("prompt_id", STRING, "Public id of the prompt both responses answer (prompts.prompt_id)."),
        Column("model_a", STRING, "Model of the item's first response, A (models.model)."),
        Column("model_b", STRING, "Model of the item's second response, B."),
        Column("response_a_id", STRING, "Public id of response A (responses.response_id)."),
        Column("response_b_id", STRING, "Public id of response B."),
        Column("position", STRING, "The order the annotator was shown: AB (A on the left, first) or BA; null "
                                   "when unknown (votes imported from elsewhere)."),
        Column("verdict", STRING, "The vote in the item's terms, whatever the order shown: A or B (that one is "
                                  "better), tie, both (both good) or neither (neither good)."),
        Column("annotator", STRING, "The annotator's pseudonym in this release (ann-…); unrelated across releases."),
        Column("annotator_tier", STRING, "professional, graduate, undergraduate, vendor or external."),
        Column("annotator_external", BOOL, "Whether the vote was made outside the platform and imported."),
        Column("seconds_spent", INT32, "Seconds the annotator spent on the item, when known."),
        Column("submitted_at", STRING, "When the vote was first submitted (ISO 8601, UTC)."),
        Column("revised_at", STRING, "When it was last revised (ISO 8601, UTC); null if never."),
        Column("revision", INT16, "1 for a first vote, more when the annotator revised it (latest kept)."),
    ]
    columns += opted_in_columns(release)
    return TableSpec("votes", "Human pairwise votes in long form: one row per item × annotator.", tuple(columns))


PAIR_VERDICTS = TableSpec("verdicts", "LLM judges' pairwise verdicts: one row per verdict (item × order shown × "
                          "sample); a failed verdict (unparseable, refused, truncated, API error) has no verdict.", (
    Column("item_id", STRING, "Public id of the judged pair (votes.item_id)."),
    Column("campaign", STRING, "Slug of the campaign."),
    Column("prompt_id", STRING, "Public id of the prompt."),
    Column("model_a", STRING, "Model of response A."),
    Column("model_b", STRING, "Model of response B."),
    *JUDGE_COLUMNS,
    Column("order", STRING, "The order the judge was shown: AB or BA (a pair judged in both orders has a row "
                            "for each); null when unknown."),
    Column("sample", INT16, "Sample number, when a judge is asked several times per item and order."),
    Column("parse_status", STRING, "ok or imported for a verdict; otherwise the kind of failure."),
    Column("error_kind", STRING, "Detail of a failure."),
    Column("verdict", STRING, "A, B, tie, both or neither, in the item's terms; null for a failed verdict "
                              "(a failure is never a verdict)."),
    Column("rationale", STRING, "The judge's stated reasons."),
))

PAIR_PREFERENCES = TableSpec("preference_pairs", "Preference pairs for preference tuning (DPO): the compared "
                             "pairs whose human majority prefers one response (ties and split votes left out).", (
    Column("campaign", STRING, "Slug of the campaign the pair was voted on in."),
    Column("item_id", STRING, "Public id of the compared pair (votes.item_id)."),
    Column("prompt_id", STRING, "Public id of the prompt."),
    Column("prompt", STRING, "The first user turn."),
    Column("chosen", STRING, "The preferred response (its first turn)."),
    Column("rejected", STRING, "The other response (its first turn)."),
    Column("chosen_model", STRING, "Model of the chosen response."),
    Column("rejected_model", STRING, "Model of the rejected response."),
    Column("chosen_response_id", STRING, "Public id of the chosen response."),
    Column("rejected_response_id", STRING, "Public id of the rejected response."),
    Column("n_votes", INT16, "Human votes on the pair, of every verdict."),
    Column("votes_chosen", INT16, "Votes preferring the chosen response."),
    Column("votes_rejected", INT16, "Votes preferring the rejected response."),
    Column("margin", FLOAT, "(votes_chosen − votes_rejected) / n_votes, above 0 and at most 1."),
    Column("n_turns", INT16, "Turns of the conversation; for more than one, the full texts are in prompts.turns "
                             "and responses.turns."),
))

RANKINGS = TableSpec("rankings", "Rankings of the models per campaign, from the human votes and from each judge's "
                     "verdicts: win, tie and loss rates and Bradley–Terry ratings with 95% bootstrap intervals.", (
    Column("campaign", STRING, "Slug of the campaign."),
    Column("source", STRING, "humans, or judge."),
    Column("judge", STRING, "Name of the judge; null for the humans."),
    Column("job_id", STRING, "Public id of the judge job the verdicts come from; null for humans and imports."),
    Column("model", STRING, "The model ranked."),
    Column("rank", INT16, "1 + the number of models whose interval lies wholly above this one's; null without votes."),
    Column("n_votes", INT32, "Votes the model took part in (a judge: one per item)."),
    Column("wins", INT32, "Votes it won."),
    Column("ties", INT32, "Votes that were a tie (tie, both, neither)."),
    Column("losses", INT32, "Votes it lost."),
    Column("win_rate", FLOAT, "wins / n_votes."),
    Column("tie_rate", FLOAT, "ties / n_votes."),
    Column("loss_rate", FLOAT, "losses / n_votes."),
    Column("rating", FLOAT, "Bradley–Terry rating on the Elo scale: 1000 + 400 log10 of the strength (mean 1000)."),
    Column("rating_low", FLOAT, "Lower end of its 95% bootstrap interval."),
    Column("rating_high", FLOAT, "Upper end of its 95% bootstrap interval."),
    Column("strength", FLOAT, "The Bradley–Terry log-strength (natural log, centred on 0)."),
    Column("note", STRING, "Why the rating is not to be trusted or is missing (never lost, never won, no votes)."),
))


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


def write_votes(ctx):
    """Pass 1. Returns the WrittenFiles of the votes table and the HumanVotes of the release."""
    release, slugs, index, names = ctx.release, {c.pk: c.slug for c in ctx.campaigns}, ctx.campaign_index, ctx.model_names
    votes = _Columns("h", "q", "q", "h", "q", "q")
    items = _Columns("q", "h", "q", "q", "q")
    item_ids, last_item = [], None
    with TableWriter(ctx.folder, votes_spec(release)) as writer:
        for chunk in selectors.vote_rows(ctx.campaign_ids, with_comments=release.include_comments):
            rows, numbers, new_items = [], [], []
            for (_, item_pk, campaign_pk, item_id, prompt_pk, prompt_id, response_a, response_b, model_a, model_b,
                 response_a_id, response_b_id, position, verdict, annotator_pk, seconds, submitted, revised,
                 revision, comment) in chunk:
                if item_pk != last_item:
                    last_item = item_pk
                    new_items.append((item_pk, index[campaign_pk], prompt_pk, response_a, response_b))
                    item_ids.append(item_id)
                annotator = ctx.annotators[annotator_pk]
                row = (item_id, slugs[campaign_pk], prompt_id, names[model_a], names[model_b], response_a_id,
                       response_b_id, position or None, verdict, ctx.names[annotator_pk], annotator.tier,
                       annotator.is_external, seconds, iso_utc(submitted), iso_utc(revised), revision)
                rows.append(row + opted_in_values(release, annotator, comment))
                numbers.append((index[campaign_pk], item_pk, annotator_pk, PAIRWISE_VERDICTS.index(verdict),
                                model_a, model_b))
            writer.write(rows)
            if numbers:
                votes.extend(*zip(*numbers))
            if new_items:
                items.extend(*zip(*new_items))
            ctx.advance(len(chunk))
    item_pk, item_campaign, item_prompt, response_a, response_b = items.arrays()
    return writer.files, HumanVotes(*votes.arrays(), item_pk, item_campaign, item_prompt, response_a, response_b,
                                    item_ids)


def iso_utc(value):
    """A database timestamp (a datetime, or text on SQLite) as ISO 8601 in UTC, to the second; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


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


def pairwise_preference_pairs(ctx, majorities, prompts):
    """Yield the preference pair rows of the items of `prompts` (each with its responses read)."""
    slugs = [campaign.slug for campaign in ctx.campaigns]
    for prompt in prompts:
        responses = {response[0]: response for response in prompt.responses}
        for majority in majorities.get(prompt.pk, ()):
            chosen, rejected = responses[majority.chosen_pk], responses[majority.rejected_pk]
            margin = (majority.votes_chosen - majority.votes_rejected) / majority.n_votes
            yield (slugs[majority.campaign_index], majority.item_id, prompt.prompt_id, _first(prompt.turns),
                   _first(chosen[3]), _first(rejected[3]), chosen[2], rejected[2], chosen[1], rejected[1],
                   majority.n_votes, majority.votes_chosen, majority.votes_rejected, margin, len(prompt.turns))


# ---------------------------------------------------------------------------------------------------------
# Pass 3: judge verdicts


@dataclass
class JudgeVerdicts:
    """Judge verdicts with a verdict as numeric arrays (order: index into ORDERS, -1 unknown; verdict: index
    into PAIRWISE_VERDICTS), and verdict counts by (campaign index, judge pk, job pk or -1, status)."""

    campaign: np.ndarray
    judge: np.ndarray
    job: np.ndarray
    item: np.ndarray
    order: np.ndarray
    verdict: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    counts: dict


def write_pair_verdicts(ctx):
    """Pass 3. Returns the WrittenFiles of the verdicts table, the JudgeVerdicts, and the judges and jobs."""
    judges, jobs = selectors.verdict_judges(ctx.campaign_ids)
    slugs, index, names = {c.pk: c.slug for c in ctx.campaigns}, ctx.campaign_index, ctx.model_names
    heads, counts = {}, {}
    numbers = _Columns("h", "q", "q", "q", "h", "h", "q", "q")
    with TableWriter(ctx.folder, PAIR_VERDICTS) as writer:
        for chunk in selectors.pair_verdict_rows(ctx.campaign_ids):
            rows, scored = [], []
            for (_, item_pk, campaign_pk, item_id, prompt_id, model_a, model_b, judge_pk, job_pk, order, sample,
                 status, error_kind, verdict, rationale) in chunk:
                key = (index[campaign_pk], judge_pk, job_pk or -1, status)
                counts[key] = counts.get(key, 0) + 1
                if (judge_pk, job_pk) not in heads:
                    heads[judge_pk, job_pk] = _judge_head(judges[judge_pk], jobs.get(job_pk))
                rows.append((item_id, slugs[campaign_pk], prompt_id, names[model_a], names[model_b],
                             *heads[judge_pk, job_pk], order or None, sample, status, error_kind, verdict or None,
                             rationale))
                if verdict:
                    scored.append((index[campaign_pk], judge_pk, job_pk or -1, item_pk,
                                   ORDERS.index(order) if order else -1, PAIRWISE_VERDICTS.index(verdict),
                                   model_a, model_b))
            writer.write(rows)
            if scored:
                numbers.extend(*zip(*scored))
            ctx.advance(len(chunk))
    return writer.files, JudgeVerdicts(*numbers.arrays(), counts=counts), judges, jobs


def write_rankings(ctx, rows):
    with TableWriter(ctx.folder, RANKINGS) as writer:
        writer.write(rows)
    return writer.files


def table_specs(release):
    return [votes_spec(release), PROMPTS, RESPONSES, MODELS, PAIR_VERDICTS, RANKINGS, PAIR_PREFERENCES]

"""Importing into pairwise campaigns: the items of pairs, and pairwise ratings made elsewhere.

The item of a pair. A pairwise item is ``Item(response=A's response, response_b=B's response)``
for two models' responses to the same prompt, and a campaign has at most one item per unordered pair
(a database constraint). Which model is A is fixed when the item is made: by ``--pair MODEL_A MODEL_B``
of import_responses, or else by the first record (in file order) that names the pair. A record that names
the pair the other way round, (model_b, model_a), is the same comparison: it is turned into the item's
terms before it is stored, its verdict flipped (A <-> B; tie, both and neither stay) and, for judge
verdicts, its order too (BA <-> AB). Stored verdicts and orders are therefore always in the item's terms:
A is ``item.response``, and order AB means ``item.response`` was shown first.

Everything here runs inside the caller's import transaction; errors are RecordError
(``FILE:LINE: field: reason``) or HyokaError, and the caller writes nothing when one is raised.
"""

from annotation.bulk import bulk_insert
from annotation.errors import HyokaError, RecordError
from annotation.models import Item, Rating, Response
from annotation.quality_items import addressable
from annotation.readers import chunked
from annotation.records import content_hash, pairwise_rating_record
from annotation.verdict_options import PAIRWISE_VERDICTS

from .repeats import split_new

PROMPTS_PER_QUERY = 2000


def rubric_verdicts(rubric):
    """The verdicts a pairwise rubric offers, refusing a rubric stored with names outside the vocabulary."""
    unknown = [verdict for verdict in rubric.verdicts if verdict not in PAIRWISE_VERDICTS]
    if unknown:
        raise HyokaError(
            f"rubric {rubric.key} offers the verdict {unknown[0]!r}, which is not one of "
            f"{', '.join(PAIRWISE_VERDICTS)}; define the rubric again under a new key"
        )
    return tuple(rubric.verdicts)


def pair_key(prompt_id, model_a, model_b):
    """The same key for (model_a, model_b) and (model_b, model_a) on one prompt."""
    return prompt_id, frozenset((model_a, model_b))


def pair_items_for_prompts(*, campaign, prompt_ids, model_a, model_b, path, summary):
    """Make the campaign's item of (model_a, model_b) for each of ``prompt_ids`` (Prompt pks) both models
    answer. A pair that already has an item (in either orientation) keeps it; prompts that lack one of the
    two responses are counted in ``summary.skipped``. A HyokaError when no prompt has both responses."""
    if model_a == model_b:
        raise HyokaError(f"--pair needs two different models, got {model_a!r} twice")
    paired = pair_items_make(campaign=campaign, prompt_ids=prompt_ids, model_a=model_a, model_b=model_b,
                             summary=summary)
    if not paired:
        raise HyokaError(
            f"no prompt of {path} has responses by both {model_a!r} and {model_b!r}; "
            f"check the model names given to --pair"
        )
    summary.skipped["prompts without both responses"] += len(prompt_ids) - paired


def pair_items_make(*, campaign, prompt_ids, model_a, model_b, summary):
    """Make the campaign's item of (model_a, model_b) for each of ``prompt_ids`` both models answer, unless the
    pair has one (in either orientation); returns how many of the prompts both models answer. Used by imports
    and by generation jobs."""
    paired = 0
    for prompts in chunked(sorted(prompt_ids), PROMPTS_PER_QUERY):
        pairs = _response_pairs(prompts, model_a, model_b)
        existing = _existing_pairs(campaign, pairs)
        new = [pair for pair in pairs if frozenset(pair) not in existing]
        bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": a, "response_b_id": b} for a, b in new])
        summary.created["items"] += len(new)
        summary.unchanged["items"] += len(pairs) - len(new)
        paired += len(pairs)
    return paired


def campaign_pairs(campaign):
    """The campaign's pairs of models, as (model A, model B) names: the pair it was set up with (import_prompts
    --pair) and the pairs of its items, each unordered pair once, in the orientation first met."""
    pairs = []
    if campaign.pair_model_a_id and campaign.pair_model_b_id:
        pairs.append((campaign.pair_model_a.name, campaign.pair_model_b.name))
    rows = Item.objects.filter(addressable(), campaign=campaign).values_list("response__model__name",
                                                              "response_b__model__name").distinct()
    for pair in rows:
        if frozenset(pair) not in {frozenset(known) for known in pairs}:
            pairs.append(pair)
    return pairs


def _response_pairs(prompt_ids, model_a, model_b):
    """(A's response id, B's response id) for each of the prompts both models answer."""
    by_prompt = {}
    rows = Response.objects.filter(prompt_id__in=prompt_ids, model__name__in=(model_a, model_b)).values_list(
        "id", "prompt_id", "model__name"
    )
    for pk, prompt_id, model in rows:
        by_prompt.setdefault(prompt_id, {})[model] = pk
    return [(found[model_a], found[model_b]) for _, found in sorted(by_prompt.items()) if len(found) == 2]


def _existing_pairs(campaign, pairs):
    ids = {pk for pair in pairs for pk in pair}
    rows = Item.objects.filter(campaign=campaign, response_id__in=ids, response_b_id__in=ids).values_list(
        "response_id", "response_b_id"
    )
    return {frozenset(row) for row in rows}


class PairImporter:
    """What pairwise ratings and verdicts share: the item of each record's pair, and the record in its terms."""

    def __init__(self, campaign, path, summary):
        self.campaign, self.path, self.summary = campaign, path, summary
        self.verdicts = rubric_verdicts(campaign.rubric)

    def in_item_terms(self, records):
        """[(item id, record in the item's terms, record as written)] for ``records`` (module docstring);
        items missing from the campaign are made when both responses are stored. Error messages quote the
        record as written."""
        keys = {pair_key(r.prompt_id, r.model_a, r.model_b) for r in records}
        items = self._campaign_items(keys)
        missing = keys - items.keys()
        if missing:
            items.update(self._add_items(missing, records))
        oriented = []
        for record in records:
            item_id, model_a = items[pair_key(record.prompt_id, record.model_a, record.model_b)]
            oriented.append((item_id, record if record.model_a == model_a else record.swapped(), record))
        return oriented

    def _campaign_items(self, keys):
        """{pair key: (item id, the item's model A)} for the keys that have an item in the campaign."""
        models = {model for _, pair in keys for model in pair}
        rows = Item.objects.filter(  # response_b's model among ``models``: the campaign's items of pairs
            addressable(),
            campaign=self.campaign,
            response__prompt__external_id__in={key[0] for key in keys},
            response__model__name__in=models,
            response_b__model__name__in=models,
        ).values_list("id", "response__prompt__external_id", "response__model__name", "response_b__model__name")
        found = {}
        for pk, prompt_id, model_a, model_b in rows:
            key = pair_key(prompt_id, model_a, model_b)
            if key in keys:
                self._check_unambiguous(found, key, prompt_id, "in campaign " + self.campaign.slug)
                found[key] = (pk, model_a)
        return found

    def _add_items(self, keys, records):
        """Make the items of the pairs ``keys``, oriented as the first record naming each pair."""
        responses = self._responses(keys)
        new = {}
        for record in records:
            key = pair_key(record.prompt_id, record.model_a, record.model_b)
            if key not in keys or key in new:
                continue
            for field, model in (("model_a", record.model_a), ("model_b", record.model_b)):
                if (record.prompt_id, model) not in responses:
                    raise RecordError(
                        self.path, record.line, field,
                        f"no response by model {model!r} to prompt {record.prompt_id!r}; "
                        f"import it first with import_responses",
                    )
            new[key] = (record.model_a, record.model_b)
        ids = bulk_insert(Item, [
            {"campaign_id": self.campaign.id, "response_id": responses[(key[0], model_a)],
             "response_b_id": responses[(key[0], model_b)]}
            for key, (model_a, model_b) in new.items()
        ])
        self.summary.created["items"] += len(ids)
        return {key: (pk, model_a) for pk, (key, (model_a, _)) in zip(ids, new.items())}

    def _responses(self, keys):
        """{(prompt id, model): response id} for the models of the pairs ``keys``."""
        wanted = {(prompt_id, model) for prompt_id, pair in keys for model in pair}
        rows = Response.objects.filter(
            prompt__external_id__in={key[0] for key in wanted}, model__name__in={key[1] for key in wanted}
        ).values_list("id", "prompt__external_id", "model__name")
        found = {}
        for pk, prompt_id, model in rows:
            if (prompt_id, model) in wanted:
                self._check_unambiguous(found, (prompt_id, model), prompt_id, "among stored responses")
                found[(prompt_id, model)] = pk
        return found

    def _check_unambiguous(self, found, key, prompt_id, where):
        if key in found:
            raise HyokaError(
                f"prompt id {prompt_id!r} names prompts of more than one source {where}; "
                f"records cannot tell them apart"
            )


class PairRatingImporter(PairImporter):
    """Writes pairwise ratings {prompt_id, model_a, model_b, annotator, verdict, comment?}.

    ``annotators`` maps handles to Annotator ids, creating external annotators (imports.ExternalAnnotators).
    One rating per item and annotator: the same judgment again (even told the other way round) is left
    as it is; another verdict or comment is an error.
    """

    def __init__(self, campaign, path, summary, annotators):
        super().__init__(campaign, path, summary)
        self.annotators = annotators

    def parse(self, line, record):
        return pairwise_rating_record(line, record, self.verdicts, self.campaign.rubric.key)

    def add(self, records):
        if not records:
            return
        oriented = self.in_item_terms(records)
        annotator_ids = self.annotators.for_records(records)
        keyed = [((item_id, annotator_ids[record.annotator]), record, written) for item_id, record, written in oriented]
        stored = self._stored_digests({key for key, _, _ in keyed})
        new = split_new(
            keyed, stored, lambda record: content_hash([record.verdict, record.comment]),
            lambda record, written: RecordError(
                self.path, record.line, "annotator",
                f"{written.annotator!r} already compared {written.model_a!r} with {written.model_b!r} on prompt "
                f"{written.prompt_id!r} with another verdict or comment; one rating per item and annotator",
            ),
            self.summary, "ratings",
        )
        Rating.objects.bulk_create(
            Rating(item_id=key[0], annotator_id=key[1], verdict=record.verdict, comment=record.comment,
                   source=Rating.Source.IMPORT)
            for key, (record, _) in new.items()
        )
        self.summary.created["ratings"] += len(new)

    def _stored_digests(self, keys):
        rows = Rating.objects.filter(
            item_id__in={key[0] for key in keys}, annotator_id__in={key[1] for key in keys}
        ).values_list("item_id", "annotator_id", "verdict", "comment")
        return {(item_id, annotator_id): content_hash([verdict, comment])
                for item_id, annotator_id, verdict, comment in rows if (item_id, annotator_id) in keys}

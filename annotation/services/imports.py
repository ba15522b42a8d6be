"""Importing responses and ratings made elsewhere.

The campaign's kind (annotation.kinds) decides what its items and ratings are: a likert campaign makes an
item of every response and reads ratings with scores; a pairwise campaign makes items of pairs of responses
and reads pairwise ratings with verdicts (pairwise_imports).
Every import runs in one transaction: the first bad record raises RecordError
(``FILE:LINE: field: reason``) and nothing at all is written. Records stream in
chunks and are written in bulk, so memory stays flat in the file's size (only
small keys and digests of what was seen are kept). Importing the same file
twice writes nothing the second time; a record that contradicts what is stored
(a different text under the same prompt id, other scores from the same
annotator) is an error, never a silent overwrite.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from annotation import kinds
from annotation.bulk import bulk_insert, bulk_insert_per_value, cycle_collector_paused, rows_with_keys
from annotation.errors import FieldError, HyokaError, RecordError, collected
from annotation.models import Annotator, Item, LanguageModel, Prompt, Rating, RatingScore, Response
from annotation.quality_items import addressable
from annotation.readers import chunked, read_records
from annotation.records import (
    checklist_record, content_hash, is_llmjp_record, llmjp_has_human_evals, llmjp_records, rating_record,
    response_record,
)

from .campaigns import campaign_for_import
from .checklists import ChecklistSet, store_checklists
from .repeats import split_new

CHUNK_SIZE = 2000


@dataclass
class ImportSummary:
    records: int = 0
    created: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    replaced: Counter = field(default_factory=Counter)
    warnings: list = field(default_factory=list)  # what the import kept but someone should look at, in words

    def describe(self):
        """One line of counts, then a line per warning (the command prints it; an upload shows it as its result)."""
        made = ", ".join(f"{count} {name}" for name, count in self.created.items() if count) or "nothing new"
        kept = sum(self.unchanged.values())
        skipped = ", ".join(f"{count} {name}" for name, count in self.skipped.items() if count)
        replaced = ", ".join(f"{count} {name}" for name, count in self.replaced.items() if count)
        return (f"{self.records} records: created {made}" + (f"; {kept} already present" if kept else "")
                + (f"; replaced {replaced}" if replaced else "") + (f"; skipped {skipped}" if skipped else "")
                + "".join(f"\nWarning: {warning}" for warning in self.warnings))


def responses_import(*, path, campaign_slug, rubric_key=None, pair=None, source="", annotator_prefix="llm-jp-eval",
                     file_format=None, leads=()):
    """Import responses (and, from the LLM-jp layout, their human ratings) into a campaign.

    Responses are shared by every campaign; the campaign's kind (annotation.kinds) makes its items of them. In
    a likert campaign each response becomes an item. A pairwise campaign needs ``pair`` = (model A, model B):
    each prompt of the file that both models answer becomes one item, A's response against B's (see
    pairwise_imports); the LLM-jp layout's scores need a likert campaign. ``leads`` (usernames) lead the
    campaign, created now or not.
    """
    summary = ImportSummary()
    with cycle_collector_paused(), transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, rubric_key=rubric_key, leads=leads)
        kind = kinds.for_campaign(campaign)
        kind.check_pair_option(campaign, pair)
        responses = ResponseImporter(campaign, path, summary, make_items=kind.ITEM_PER_RESPONSE)
        annotators = ExternalAnnotators(source=f"import of {path}", summary=summary)
        ratings = kind.score_importer(campaign, path, summary, annotators)  # None: the kind takes no scores
        axis_ranges = ratings.axis_ranges if ratings else {}
        for chunk in chunked(read_records(path, file_format), CHUNK_SIZE):
            response_records, rating_records = [], []
            for line, record in chunk:
                summary.records += 1
                with located(path, line):
                    if is_llmjp_record(record):
                        if ratings is None and llmjp_has_human_evals(record):
                            raise FieldError("human_evals", f"scores need a likert campaign; {campaign.slug} is "
                                                            f"{kind.NAME} (import the file into a likert campaign)")
                        found, rated = llmjp_records(line, record, source, axis_ranges, annotator_prefix)
                        response_records.extend(found)
                        rating_records.extend(rated)
                    else:
                        response_records.append(response_record(line, record, source))
            responses.add(response_records)
            if ratings:
                ratings.add(rating_records)
        store_checklists(responses.checklists, summary=summary)
        kind.items_after_import(campaign=campaign, prompt_ids=responses.prompt_ids(), pair=pair, path=path,
                                summary=summary)
    return summary


def checklists_import(*, path, source="", file_format=None):
    """Import {prompt_id, checklist: [...], source?} records: each names a stored prompt and gives its checklist.

    All or nothing. A prompt's checklist is replaced by a different one only while no annotator or judge has
    answered it; the same checklist again changes nothing.
    """
    summary = ImportSummary()
    with transaction.atomic():
        wanted = ChecklistSet(path)
        for chunk in chunked(read_records(path, file_format), CHUNK_SIZE):
            records = []
            for line, record in chunk:
                summary.records += 1
                with located(path, line):
                    records.append(checklist_record(line, record, source))
            prompt_ids = _stored_prompt_ids(path, records)
            for record in records:
                wanted.add(prompt_ids[(record.source, record.prompt_id)], record.prompt_id, record.checklist,
                           record.line)
        store_checklists(wanted, summary=summary)
    return summary


def _stored_prompt_ids(path, records):
    keys = {(record.source, record.prompt_id) for record in records}
    stored = Prompt.objects.filter(external_id__in={key[1] for key in keys}).values_list("source", "external_id", "id")
    found = {(source, external_id): pk for source, external_id, pk in stored if (source, external_id) in keys}
    for record in records:
        if (record.source, record.prompt_id) not in found:
            where = f" of source {record.source!r}" if record.source else ""
            raise RecordError(path, record.line, "prompt_id", f"no prompt {record.prompt_id!r}{where} is stored; "
                                                              "import its responses first")
    return found


def ratings_import(*, path, campaign_slug, file_format=None, tier=""):
    """Import ratings made elsewhere; their annotators become external annotators.

    A new annotator's tier is the one its records state (a ``tier`` field), else ``tier``, else external.
    A likert campaign reads {prompt_id, model, annotator, scores, comment?}; a pairwise campaign reads
    {prompt_id, model_a, model_b, annotator, verdict, comment?}, making the item of a pair when missing.
    """
    summary = ImportSummary()
    with transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, create=False)
        annotators = ExternalAnnotators(source=f"import of {path}", summary=summary, tier=tier, path=path)
        importer = kinds.for_campaign(campaign).rating_importer(campaign, path, summary, annotators)
        for chunk in chunked(read_records(path, file_format), CHUNK_SIZE):
            records = []
            for line, record in chunk:
                summary.records += 1
                with located(path, line):
                    records.append(importer.parse(line, record))
            importer.add(records)
    return summary


class located:
    """Turn a FieldError raised inside the block into a RecordError at ``path:line``."""

    def __init__(self, path, line):
        self.path, self.line = path, line

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, FieldError):
            located_error = RecordError(self.path, self.line, error.field, error.reason)
            if collected(located_error):
                return True  # an upload gathers every bad record; the record is left out, the import reads on
            raise located_error from None
        return False


class ResponseImporter:
    """Writes ResponseRecords: models, prompts, responses and the campaign's items, in bulk."""

    def __init__(self, campaign, path, summary, make_items=True):
        self.campaign, self.path, self.summary = campaign, path, summary
        self.make_items = make_items  # one item per response (likert); pairs are made afterwards
        self.model_ids = {}  # name -> id
        self.prompts = {}  # (source, external_id) -> (id, digest); one per prompt named so far
        # What this import created: a prompt it created has no responses but those it created too, so they alone
        # are looked up (the lookups cost as much as the writes when every record has a prompt of its own).
        self.created_prompt_ids, self.created_responses = set(), set()  # ids; (prompt id, model id)
        self.checklists = ChecklistSet(path)  # the prompts' checklists the records give, stored at the end

    def add(self, records):
        if not records:
            return
        self._resolve_models({record.model for record in records})
        self._resolve_prompts(records)
        for record in records:
            if record.checklist is not None:
                self.checklists.add(self.prompts[(record.source, record.prompt_id)][0], record.prompt_id,
                                    record.checklist, record.line)
        response_ids, created = self._resolve_responses(records)
        if self.make_items:
            self._ensure_items(response_ids, created)

    def add_prompts(self, records):
        """Store the prompts (and checklists) of records without responses (import_prompts)."""
        self._resolve_prompts(records)
        for record in records:
            if record.checklist is not None:
                self.checklists.add(self.prompts[(record.source, record.prompt_id)][0], record.prompt_id,
                                    record.checklist, record.line)

    def prompt_ids(self):
        """The pks of the prompts the records named so far."""
        return {pk for pk, _ in self.prompts.values()}

    def _resolve_models(self, names):
        missing = names - self.model_ids.keys()
        if not missing:
            return
        self.model_ids.update(LanguageModel.objects.filter(name__in=missing).values_list("name", "id"))
        new = [LanguageModel(name=name) for name in sorted(missing - self.model_ids.keys())]
        LanguageModel.objects.bulk_create(new)
        self.model_ids.update((model.name, model.id) for model in new)
        self.summary.created["models"] += len(new)

    def _resolve_prompts(self, records):
        keys = {(record.source, record.prompt_id) for record in records}
        self._look_up_prompts(keys)
        new = {}
        checked = {}  # key -> content already matched in this chunk; records of one prompt come in runs
        for record in records:
            key = (record.source, record.prompt_id)
            content = (record.prompt_turns, record.reference, record.context)
            if checked.get(key) == content:
                continue
            known = self.prompts.get(key)
            changed = key in checked  # named earlier in this chunk with other text
            if not changed and known is not None:
                changed = known[1] != content_hash([list(record.prompt_turns), record.reference, record.context])
            if changed:
                raise RecordError(
                    self.path, record.line, "prompt",
                    f"prompt {record.prompt_id!r} is already stored with other text, reference or context; "
                    f"give the changed prompt its own prompt_id",
                )
            checked[key] = content
            if known is None:
                new[key] = record
        ids = bulk_insert(Prompt, [
            {"source": record.source, "external_id": record.prompt_id, "category": record.category,
             "turns": list(record.prompt_turns), "reference": record.reference, "context": record.context,
             "metadata": record.prompt_metadata}
            for record in new.values()
        ])
        self.prompts.update((key, (pk, None)) for pk, key in zip(ids, new))  # digested when named again (below)
        self.created_prompt_ids.update(ids)
        self.summary.created["prompts"] += len(ids)

    def _look_up_prompts(self, keys):
        """Note the id and digest of each stored prompt among ``keys``. A prompt this import created is digested
        only when a later chunk names it again, rarely: digesting every new one took 0.4 s of the import of
        100,000 records with a prompt each."""
        # Not a set less self.prompts.keys(): that goes through every prompt named so far, in every chunk.
        wanted = {key for key in keys if key not in self.prompts}
        if wanted:
            stored = rows_with_keys(Prompt, ("source", "external_id"), wanted,  # probes their unique index
                                    ("id", "source", "external_id", "turns", "reference", "context"))
            for pk, source, external_id, turns, reference, context in stored:
                self.prompts[(source, external_id)] = (pk, content_hash([turns, reference, context]))
        undigested = {self.prompts[key][0]: key for key in keys - wanted if self.prompts[key][1] is None}
        if undigested:
            for pk, turns, reference, context in Prompt.objects.filter(pk__in=undigested).values_list(
                    "id", "turns", "reference", "context"):
                self.prompts[undigested[pk]] = (pk, content_hash([turns, reference, context]))

    def _resolve_responses(self, records):
        keyed = [(self._response_key(record), record) for record in records]
        wanted = {key for key, _ in keyed}
        known_responses = {}  # (prompt id, model id) -> (id, turns); earlier chunks are in the database
        looked_up = {key for key in wanted if key[0] not in self.created_prompt_ids or key in self.created_responses}
        stored = Response.objects.filter(
            prompt_id__in={key[0] for key in looked_up}, model_id__in={key[1] for key in looked_up}
        ).values_list("id", "prompt_id", "model_id", "turns") if looked_up else []
        for pk, prompt_id, model_id, turns in stored:
            if (prompt_id, model_id) in wanted:
                known_responses[(prompt_id, model_id)] = (pk, turns)
        new = {}
        for key, record in keyed:
            turns = list(record.response_turns)
            known = known_responses.get(key) or new.get(key)
            if known is None:
                new[key] = (record, turns)
            elif known[1] != turns:
                raise RecordError(
                    self.path, record.line, "response",
                    f"model {record.model!r} already has a different response to prompt {record.prompt_id!r}; "
                    f"a stored response is never overwritten",
                )
            else:
                self.summary.unchanged["responses"] += 1
        ids = bulk_insert(Response, [
            {"prompt_id": key[0], "model_id": key[1], "turns": turns, "metadata": record.response_metadata}
            for key, (record, turns) in new.items()
        ])
        for pk, (key, (_, turns)) in zip(ids, new.items()):
            known_responses[key] = (pk, turns)
        self.created_responses.update(new)
        self.summary.created["responses"] += len(ids)
        return {known_responses[key][0] for key, _ in keyed}, set(ids)

    def _response_key(self, record):
        return self.prompts[(record.source, record.prompt_id)][0], self.model_ids[record.model]

    def _ensure_items(self, response_ids, created):
        self.summary.created["items"] += len(
            response_items_make(campaign=self.campaign, response_ids=response_ids, created=created))


def response_items_make(*, campaign, response_ids, created=frozenset()):
    """Make the campaign's item of each of ``response_ids`` that has none (likert: one item per response); returns
    the new items' ids. Those in ``created`` were stored just now and cannot have one: they are not looked up.
    Used by imports and by generation jobs."""
    response_ids = set(response_ids)
    stored = response_ids - set(created)
    existing = set(
        Item.objects.filter(campaign=campaign, response_id__in=stored).values_list("response_id", flat=True)
    ) if stored else set()
    return bulk_insert_per_value(Item, "response_id", sorted(response_ids - existing), campaign_id=campaign.id)


class ScoreImporter:
    """What ratings and verdicts with scores (likert campaigns) share: the campaign item of each (prompt id, model)."""

    def __init__(self, campaign, path, summary):
        self.campaign, self.path, self.summary = campaign, path, summary
        axes = list(campaign.rubric.axes.all())
        self.axis_ranges = {axis.key: (axis.min_score, axis.max_score) for axis in axes}
        self.axis_ids = {axis.key: axis.id for axis in axes}

    def item_ids(self, records):
        """Map (prompt id, model) of each record to an item id, adding the item when the response exists."""
        keys = {(record.prompt_id, record.model) for record in records}
        found = self._campaign_items(keys)
        missing = keys - found.keys()
        if missing:
            found.update(self._add_items(missing, records))
        return found

    def _campaign_items(self, keys):
        rows = Item.objects.filter(
            addressable(),
            campaign=self.campaign,
            response__prompt__external_id__in={key[0] for key in keys},
            response__model__name__in={key[1] for key in keys},
        ).values_list("id", "response__prompt__external_id", "response__model__name")
        return self._unique_by_key(rows, keys, "in campaign " + self.campaign.slug)

    def _add_items(self, keys, records):
        rows = Response.objects.filter(
            prompt__external_id__in={key[0] for key in keys}, model__name__in={key[1] for key in keys}
        ).values_list("id", "prompt__external_id", "model__name")
        responses = self._unique_by_key(rows, keys, "among stored responses")
        for record in records:
            key = (record.prompt_id, record.model)
            if key in keys and key not in responses:
                raise RecordError(
                    self.path, record.line, "prompt_id",
                    f"no response by model {record.model!r} to prompt {record.prompt_id!r}; "
                    f"import it first with import_responses",
                )
        items = [Item(campaign=self.campaign, response_id=pk) for pk in responses.values()]
        Item.objects.bulk_create(items)
        self.summary.created["items"] += len(items)
        return {key: item.id for key, item in zip(responses, items)}

    def _unique_by_key(self, rows, keys, where):
        found = {}
        for pk, prompt_id, model in rows:
            key = (prompt_id, model)
            if key not in keys:
                continue
            if key in found:
                raise HyokaError(
                    f"prompt id {prompt_id!r} names prompts of more than one source {where}; "
                    f"records cannot tell them apart"
                )
            found[key] = pk
        return found

    def score_rows(self, owner_ids, model, owner_field):
        """{owner id: {axis key: score}} for the stored score rows of these ratings or verdicts."""
        key_of = {pk: key for key, pk in self.axis_ids.items()}
        scores = {}
        rows = model.objects.filter(**{f"{owner_field}_id__in": owner_ids}).values_list(
            f"{owner_field}_id", "axis_id", "score"
        )
        for owner_id, axis_id, score in rows:
            scores.setdefault(owner_id, {})[key_of.get(axis_id, axis_id)] = score
        return scores


class ExternalAnnotators:
    """Annotator ids by handle; unknown handles become external annotators, noted as coming from ``source``.

    A new annotator gets the tier its records state (a ``tier`` field), else ``tier`` (the whole file's),
    else external. A stated tier that contradicts the annotator's stored tier, or another record's, is an
    error: a tier is changed on the campaign's people page, never by an import.
    """

    def __init__(self, source, summary, tier="", path=""):
        self.source, self.summary, self.tier, self.path = source[:200], summary, tier, path
        self.known = {}  # handle -> id
        self.tiers = {}  # handle -> tier, of the annotators seen so far

    def ids(self, handles, stated=None):
        """{handle: id} for ``handles``, creating the missing annotators; ``stated``: {handle: (tier, line)}."""
        stated = stated or {}
        missing = handles - self.known.keys()
        if missing:
            for pk, handle, tier in Annotator.objects.filter(handle__in=missing).values_list("id", "handle", "tier"):
                self.known[handle], self.tiers[handle] = pk, tier
            new = [
                Annotator(handle=handle, is_external=True, source=self.source,
                          tier=stated.get(handle, (self.tier or Annotator.Tier.EXTERNAL,))[0])
                for handle in sorted(missing - self.known.keys())
            ]
            Annotator.objects.bulk_create(new)
            self.known.update((annotator.handle, annotator.id) for annotator in new)
            self.tiers.update((annotator.handle, annotator.tier) for annotator in new)
            self.summary.created["annotators"] += len(new)
        for handle, (tier, line) in stated.items():
            if self.tiers[handle] != tier:
                raise RecordError(self.path, line, "tier", f"annotator {handle!r} has tier {self.tiers[handle]}, "
                                                           f"not {tier}; change a tier on the campaign's people page")
        return self.known

    def for_records(self, records):
        """{handle: id} for the annotators of rating records, checking the tiers they state."""
        stated = {}
        for record in records:
            tier = record.tier or self.tier
            if not tier:
                continue
            if tier not in Annotator.Tier.values:
                raise RecordError(self.path, record.line, "tier",
                                  f"{tier!r} is not a tier (tiers: {', '.join(Annotator.Tier.values)})")
            earlier = stated.setdefault(record.annotator, (tier, record.line))
            if earlier[0] != tier:
                raise RecordError(self.path, record.line, "tier", f"annotator {record.annotator!r} has tier "
                                                                  f"{earlier[0]} on line {earlier[1]}, not {tier}")
        return self.ids({record.annotator for record in records}, stated)


def check_record_turns(path, records, items):
    """A record's turn past its item's last turn is an error (path:line): the scores (or a judge's verdict) would
    score nothing. Ratings' and verdicts' imports share it."""
    numbered = [record for record in records if record.turn is not None]
    if not numbered:
        return
    turns = dict(Item.objects.filter(id__in={items[(r.prompt_id, r.model)] for r in numbered}).values_list(
        "id", "response__turns"))
    for record in numbered:
        count = len(turns[items[(record.prompt_id, record.model)]] or [])
        if record.turn > count:
            raise RecordError(path, record.line, "turn", f"model {record.model!r} answered prompt "
                                                         f"{record.prompt_id!r} in {count} turn(s); there is no "
                                                         f"turn {record.turn}")


class RatingImporter(ScoreImporter):
    """Writes rating ScoreRecords by annotators who are created as external when unknown."""

    def __init__(self, campaign, path, summary, annotator_source=None, annotators=None):
        super().__init__(campaign, path, summary)
        self.annotators = annotators or ExternalAnnotators(source=annotator_source, summary=summary)

    def parse(self, line, record):
        return rating_record(line, record, self.axis_ranges, self.campaign.rubric.key)

    def add(self, records):
        """Store the records' ratings. A record with a ``turn`` holds the scores of that turn: the records of one
        item and annotator make one rating, one record per turn (and maybe one for the whole conversation)."""
        if not records:
            return
        items = self.item_ids(records)
        check_record_turns(self.path, records, items)
        annotator_ids = self.annotators.for_records(records)
        keyed = [((items[(r.prompt_id, r.model)], annotator_ids[r.annotator], r.turn), r, r) for r in records]
        ratings = self._stored_ratings({key[:2] for key, _, _ in keyed})  # earlier chunks included
        new = split_new(
            keyed, self._stored_digests(ratings), lambda record: content_hash([record.scores, record.comment]),
            lambda record, _: RecordError(
                self.path, record.line, "annotator",
                f"{record.annotator!r} already rated model {record.model!r} on prompt {record.prompt_id!r}"
                f"{'' if record.turn is None else f' (turn {record.turn})'} with other scores; one rating per item "
                f"and annotator",
            ),
            self.summary, "ratings",
        )
        self._write(new, ratings)

    def _stored_ratings(self, keys):
        """{(item id, annotator id): (rating id, comment)} of the stored ratings among ``keys``."""
        if not keys:
            return {}
        ratings = Rating.objects.filter(
            item_id__in={key[0] for key in keys}, annotator_id__in={key[1] for key in keys}
        ).values_list("id", "item_id", "annotator_id", "comment")
        return {(item_id, annotator_id): (pk, comment) for pk, item_id, annotator_id, comment in ratings
                if (item_id, annotator_id) in keys}

    def _stored_digests(self, ratings):
        """{(item id, annotator id, turn): digest} of the stored ratings' scores, turn by turn (None: the whole
        conversation), each with its rating's comment, as a record of them would be digested."""
        key_of = {pk: key for key, pk in self.axis_ids.items()}
        owner = {pk: key for key, (pk, _) in ratings.items()}
        scores = {}
        for rating_id, axis_id, turn, score in RatingScore.objects.filter(rating_id__in=owner).values_list(
                "rating_id", "axis_id", "turn", "score"):
            scores.setdefault((*owner[rating_id], turn), {})[key_of.get(axis_id, axis_id)] = score
        scored = {key[:2] for key in scores}
        digests = {(*key, None): content_hash([{}, comment]) for key, (_, comment) in ratings.items()
                   if key not in scored}  # a rating without scores
        digests.update((key, content_hash([given, ratings[key[:2]][1]])) for key, given in scores.items())
        return digests

    def _write(self, new, stored):
        """Add the new scores, to the stored rating of their item and annotator or to a new one."""
        rating_ids = {key: pk for key, (pk, _) in stored.items()}
        fresh = {}
        for key, (record, _) in new.items():
            if key[:2] not in rating_ids and key[:2] not in fresh:
                fresh[key[:2]] = Rating(item_id=key[0], annotator_id=key[1], comment=record.comment,
                                        source=Rating.Source.IMPORT)
        Rating.objects.bulk_create(fresh.values())
        rating_ids.update((key, rating.id) for key, rating in fresh.items())
        RatingScore.objects.bulk_create(
            RatingScore(rating_id=rating_ids[key[:2]], axis_id=self.axis_ids[axis], turn=key[2], score=score)
            for key, (record, _) in new.items()
            for axis, score in record.scores.items()
        )
        self.summary.created["ratings"] += len(fresh)

"""Importing judge scores or pairwise verdicts made elsewhere, as verdicts of an external judge."""

from django.db import transaction

from annotation.errors import HyokaError, RecordError
from annotation.models import Item
from annotation.readers import chunked, read_records
from annotation.records import content_hash, pairwise_verdict_record, verdict_record
from annotation.services import ImportSummary, campaign_for_import
from annotation.services.imports import CHUNK_SIZE, ScoreImporter, check_record_turns, located
from annotation.services.repeats import split_new
from annotation.services.pairwise_imports import PairImporter
from judging import kinds
from judging.models import JudgeConfig, Verdict, VerdictScore


def judge_for_import(*, name, campaign):
    """The judge that imported verdicts belong to; created as an external judge when unknown."""
    judge, _ = JudgeConfig.objects.get_or_create(
        name=name, defaults={"is_external": True, "rubric": campaign.rubric,
                             "description": "Verdicts imported from another tool."}
    )
    if judge.rubric_id and judge.rubric_id != campaign.rubric_id:
        raise HyokaError(
            f"judge {name} scores with rubric {judge.rubric.key}, but campaign {campaign.slug} uses "
            f"{campaign.rubric.key}; import under another judge name."
        )
    return judge


def verdicts_import(*, path, campaign_slug, judge_name, file_format=None):
    """Import judge scores made elsewhere, as verdicts of an external judge. All or nothing.

    A likert campaign reads {prompt_id, model, scores, rationale?, sample?, turn?} (turn: the turn graded, from
    1, as MT-Bench grades each; missing for the whole conversation); a pairwise campaign reads
    {prompt_id, model_a, model_b, verdict, order?, sample?, rationale?}, making the item of a pair when
    missing and turning each record to the item's terms (annotation.services.pairwise_imports).
    """
    summary = ImportSummary()
    with transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, create=False)
        judge = judge_for_import(name=judge_name, campaign=campaign)
        importer = kinds.for_campaign(campaign).verdict_importer(campaign, path, summary, judge)
        for chunk in chunked(read_records(path, file_format), CHUNK_SIZE):
            records = []
            for line, record in chunk:
                summary.records += 1
                with located(path, line):
                    records.append(importer.parse(line, record))
            importer.add(records)
    return summary


class VerdictImporter(ScoreImporter):
    def __init__(self, campaign, path, summary, judge):
        super().__init__(campaign, path, summary)
        self.judge = judge

    def parse(self, line, record):
        return verdict_record(line, record, self.axis_ranges, self.campaign.rubric.key)

    def add(self, records):
        if not records:
            return
        items = self.item_ids(records)
        check_record_turns(self.path, records, items)
        keyed = [((items[(r.prompt_id, r.model)], r.sample, r.turn), r, r) for r in records]
        stored = self._stored_digests({key for key, _, _ in keyed})
        new = split_new(
            keyed, stored, lambda record: content_hash([record.scores, record.rationale]),
            lambda record, _: RecordError(
                self.path, record.line, "sample",
                f"judge {self.judge.name} already has other scores for model {record.model!r} on prompt "
                f"{record.prompt_id!r}, sample {record.sample}{_turn_words(record.turn)}; give the new run "
                f"another judge name",
            ),
            self.summary, "verdicts",
        )
        self._write(new)

    def _stored_digests(self, keys):
        verdicts = Verdict.objects.filter(
            judge=self.judge, job__isnull=True, item_id__in={key[0] for key in keys}
        ).values_list("id", "item_id", "sample", "turn", "rationale")
        verdicts = [row for row in verdicts if (row[1], row[2], row[3]) in keys]
        scores = self.score_rows([row[0] for row in verdicts], VerdictScore, "verdict")
        return {(item_id, sample, turn): content_hash([scores.get(pk, {}), rationale])
                for pk, item_id, sample, turn, rationale in verdicts}

    def _write(self, new):
        verdicts = [
            Verdict(judge=self.judge, item_id=key[0], sample=key[1], turn=key[2], rationale=record.rationale,
                    parse_status=Verdict.ParseStatus.IMPORTED)
            for key, (record, _) in new.items()
        ]
        Verdict.objects.bulk_create(verdicts)
        VerdictScore.objects.bulk_create(
            VerdictScore(verdict_id=verdict.id, axis_id=self.axis_ids[axis], score=score)
            for verdict, (record, _) in zip(verdicts, new.values())
            for axis, score in record.scores.items()
        )
        self.summary.created["verdicts"] += len(verdicts)


def _turn_words(turn):
    return "" if turn is None else f", turn {turn}"


class PairVerdictImporter(PairImporter):
    """Writes pairwise verdicts: one per (item, order shown, sample) of an imported judge, so a pair judged
    in both orders (position swap) keeps both. The same verdict again, even told with the sides swapped,
    is left as it is; another verdict or rationale for the same (item, order, sample) is an error."""

    def __init__(self, campaign, path, summary, judge):
        super().__init__(campaign, path, summary)
        self.judge = judge

    def parse(self, line, record):
        return pairwise_verdict_record(line, record, self.verdicts, self.campaign.rubric.key)

    def add(self, records):
        if not records:
            return
        keyed = [((item_id, record.order, record.sample), record, written)
                 for item_id, record, written in self.in_item_terms(records)]
        stored = self._stored_digests({key for key, _, _ in keyed})
        new = split_new(
            keyed, stored, lambda record: content_hash([record.verdict, record.rationale]),
            lambda record, written: RecordError(
                self.path, record.line, "sample",
                f"judge {self.judge.name} already has another verdict on {written.model_a!r} against "
                f"{written.model_b!r} for prompt {written.prompt_id!r}, order {written.order or 'unknown'}, "
                f"sample {written.sample}; give the new run another judge name",
            ),
            self.summary, "verdicts",
        )
        Verdict.objects.bulk_create(
            Verdict(judge=self.judge, item_id=key[0], order=key[1], sample=key[2], verdict=record.verdict,
                    rationale=record.rationale, parse_status=Verdict.ParseStatus.IMPORTED)
            for key, (record, _) in new.items()
        )
        self.summary.created["verdicts"] += len(new)

    def _stored_digests(self, keys):
        rows = Verdict.objects.filter(
            judge=self.judge, job__isnull=True, item_id__in={key[0] for key in keys}
        ).values_list("item_id", "order", "sample", "verdict", "rationale")
        return {(item_id, order, sample): content_hash([verdict, rationale])
                for item_id, order, sample, verdict, rationale in rows if (item_id, order, sample) in keys}


def verdicts_upload_import(upload):
    """The importer of an upload of verdicts (annotation.services.uploads): verdicts_import, summarised."""
    return verdicts_import(path=upload.path, campaign_slug=upload.campaign.slug, judge_name=upload.options["judge"],
                           file_format=upload.options.get("format")).describe()

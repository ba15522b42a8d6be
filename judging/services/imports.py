"""Importing judge scores made elsewhere, as verdicts of an external judge."""

from django.db import transaction

from annotation.errors import HyokaError, RecordError
from annotation.readers import chunked, read_records
from annotation.records import content_hash, verdict_record
from annotation.services import ImportSummary, campaign_for_import
from annotation.services.imports import CHUNK_SIZE, ScoreImporter, located
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
    """Import judge scores made elsewhere, as verdicts of an external judge. All or nothing."""
    summary = ImportSummary()
    with transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, create=False)
        importer = VerdictImporter(campaign, path, summary, judge_for_import(name=judge_name, campaign=campaign))
        for chunk in chunked(read_records(path, file_format), CHUNK_SIZE):
            records = []
            for line, record in chunk:
                summary.records += 1
                with located(path, line):
                    records.append(verdict_record(line, record, importer.axis_ranges, campaign.rubric.key))
            importer.add(records)
    return summary


class VerdictImporter(ScoreImporter):
    def __init__(self, campaign, path, summary, judge):
        super().__init__(campaign, path, summary)
        self.judge = judge

    def add(self, records):
        if not records:
            return
        items = self.item_ids(records)
        keyed = [((items[(r.prompt_id, r.model)], r.sample), r) for r in records]
        stored = self._stored_digests({key for key, _ in keyed})
        new = {}
        for key, record in keyed:
            digest = content_hash([record.scores, record.rationale])
            known = stored.get(key) or (new[key][1] if key in new else None)
            if known is None:
                new[key] = (record, digest)
            elif known != digest:
                raise RecordError(
                    self.path, record.line, "sample",
                    f"judge {self.judge.name} already has other scores for model {record.model!r} on prompt "
                    f"{record.prompt_id!r}, sample {record.sample}; give the new run another judge name",
                )
            else:
                self.summary.unchanged["verdicts"] += 1
        self._write(new)

    def _stored_digests(self, keys):
        verdicts = Verdict.objects.filter(
            judge=self.judge, item_id__in={key[0] for key in keys}
        ).values_list("id", "item_id", "sample", "rationale")
        verdicts = [row for row in verdicts if (row[1], row[2]) in keys]
        scores = self.score_rows([row[0] for row in verdicts], VerdictScore, "verdict")
        return {(item_id, sample): content_hash([scores.get(pk, {}), rationale])
                for pk, item_id, sample, rationale in verdicts}

    def _write(self, new):
        verdicts = [
            Verdict(judge=self.judge, item_id=key[0], sample=key[1], rationale=record.rationale,
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

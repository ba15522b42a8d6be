import json as json_module

from annotation.agreement_selectors import campaign_for_report
from annotation.management.base import HyokaCommand
from annotation.quality_selectors import campaign_qc_report


def number(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


class Command(HyokaCommand):
    help = (
        "Quality control of a campaign's annotators: per annotator the one-sided Mann–Whitney U test of their "
        "scores on attention items (degraded copies) against their scores on the originals (p, pairs; flagged "
        "when p >= 0.05 with at least 10 pairs), their gold accuracy (exact and within tolerance, with n), the "
        "spread of their scores (mean, SD, z gap between originals and copies), their MACE competence estimated "
        "from the ratings alone, and their gold standing (warned, paused). With --json, one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of the campaign.")
        parser.add_argument("--json", action="store_true", help="Print the report as one JSON object.")

    def handle(self, *args, campaign, **options):
        report = campaign_qc_report(campaign_for_report(campaign))
        self.stdout.write(dumps(report) if options["json"] else "\n".join(text_lines(report)))


def dumps(report):
    return json_module.dumps(report, ensure_ascii=False, allow_nan=False)


def text_lines(report):
    items = report["items"]
    yield (f"{report['campaign']}: {items['ordinary']} ordinary items, {items['gold']} gold, "
           f"{items['attention']} attention")
    yield f"{'annotator':<20} {'pairs':>5} {'p':>7} {'gold n':>6} {'exact':>6} {'within':>6} {'sd':>6} " \
          f"{'z gap':>6} {'competence':>10}  flags"
    for row in report["annotators"]:
        attention, gold, scores = row["attention"], row["gold"], row["scores"]
        yield (f"{row['annotator']:<20} {attention['pairs']:>5} {number(attention['p_value'], 4):>7} "
               f"{gold['answers']:>6} {number(gold['exact'], 2):>6} {number(gold['within_tolerance'], 2):>6} "
               f"{number(scores['sd'], 2):>6} {number(scores['z_gap'], 2):>6} {number(row['competence']):>10}  "
               f"{', '.join(row['flags']) or '-'}")

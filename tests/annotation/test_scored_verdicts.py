"""Which judge verdicts count: one rule, in annotation.scored_verdicts, that every layer uses."""

from annotation.scored_verdicts import SCORED_STATUSES, failed_count, is_scored
from judging.models import Verdict


def test_parsed_and_imported_verdicts_count_and_failures_do_not():
    assert [status for status in Verdict.ParseStatus.values if is_scored(status)] == ["ok", "imported"]
    assert not any(is_scored(status) for status in ("parse_error", "truncated", "refused", "api_error"))


def test_failures_are_counted_from_counts_by_status():
    assert failed_count({"ok": 120, "imported": 4, "refused": 3, "api_error": 2}) == 5
    assert failed_count({"ok": 7}) == 0 and failed_count({}) == 0


def test_the_model_and_the_queries_use_the_same_statuses():
    assert set(Verdict.SCORED) == set(SCORED_STATUSES)
    assert all(isinstance(status, Verdict.ParseStatus) for status in Verdict.SCORED)

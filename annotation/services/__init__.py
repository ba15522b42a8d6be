"""Writes to the annotation domain. Views, API classes, commands and tasks call these."""

from .campaigns import campaign_for_import
from .imports import ImportSummary, checklists_import, ratings_import, responses_import
from .rubrics import rubric_file_import, rubric_import, rubric_is_used

__all__ = [
    "ImportSummary",
    "campaign_for_import",
    "checklists_import",
    "ratings_import",
    "responses_import",
    "rubric_file_import",
    "rubric_import",
    "rubric_is_used",
]

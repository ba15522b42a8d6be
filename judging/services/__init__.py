"""Writes to the judging domain: configs, jobs and their runs, and imported verdicts."""

from .configs import judge_config_save
from .imports import judge_for_import, verdicts_import
from .jobs import (
    JobEstimate, judge_job_cancel, judge_job_create, judge_job_estimate, judge_job_finish, judge_job_pause,
    judge_job_pause_by, judge_job_resume, judge_job_retry_failures, judge_job_start, judge_jobs_recover,
)
from .runs import judge_job_run

__all__ = [
    "JobEstimate", "judge_config_save", "judge_for_import", "judge_job_cancel", "judge_job_create",
    "judge_job_estimate", "judge_job_finish", "judge_job_pause", "judge_job_pause_by", "judge_job_resume",
    "judge_job_retry_failures", "judge_job_run", "judge_job_start", "judge_jobs_recover", "verdicts_import",
]

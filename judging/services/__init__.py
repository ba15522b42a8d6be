"""Writes to the judging domain: judge configs and model endpoints, judge and generation jobs and their runs
(one engine: judging.services.engine), and imported verdicts."""

from .configs import judge_config_save
from .endpoints import model_endpoint_save
from .generation import (
    generation_job_act, generation_job_create, generation_job_estimate, generation_job_retry_failures,
    generation_job_run,
)
from .imports import judge_for_import, verdicts_import
from .jobs import (
    JobEstimate, judge_job_cancel, judge_job_create, judge_job_estimate, judge_job_finish, judge_job_pause,
    judge_job_pause_by, judge_job_resume, judge_job_retry_failures, judge_job_start, judge_jobs_recover,
)
from .lifecycle import job_cancel, job_pause_by, job_resume
from .runs import judge_job_run

__all__ = [
    "JobEstimate", "generation_job_act", "generation_job_create", "generation_job_estimate", "generation_job_retry_failures",
    "generation_job_run", "job_cancel", "job_pause_by", "job_resume", "judge_config_save", "judge_for_import",
    "judge_job_cancel", "judge_job_create", "judge_job_estimate", "judge_job_finish", "judge_job_pause",
    "judge_job_pause_by", "judge_job_resume", "judge_job_retry_failures", "judge_job_run", "judge_job_start",
    "judge_jobs_recover", "model_endpoint_save", "verdicts_import",
]

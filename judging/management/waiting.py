"""Waiting for an LLM job (judge or generation) in a terminal: a progress bar until it ends."""

import time

from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from judging.models import LlmJob
from judging.selectors import job_progress

POLL_SECONDS = 0.5
NO_WORKER_HINT_AFTER = 10  # seconds queued before saying that no worker seems to run
BAR_WIDTH = 30
FINISHED = (LlmJob.Status.SUCCEEDED, LlmJob.Status.FAILED, LlmJob.Status.CANCELLED, LlmJob.Status.PAUSED)


class JobCommand(HyokaCommand):
    """A command that queues a job and, with --wait, shows its progress until it ends; it exits non-zero with the
    reason when the job does not succeed. ``DONE_LABEL`` names the units that produced a result."""

    DONE_LABEL = "scored"

    def wait_for(self, job):
        interactive = self.stdout.isatty()
        queued_since, hinted, last_line = time.monotonic(), False, None
        while True:
            job.refresh_from_db()
            line = progress_line(job_progress(job), self.DONE_LABEL)
            if interactive:
                self.stdout.write("\r" + line, ending="")
            elif line != last_line:
                self.stdout.write(line)
            last_line = line
            if job.status in FINISHED:
                break
            if job.status == LlmJob.Status.QUEUED and not hinted and \
                    time.monotonic() - queued_since > NO_WORKER_HINT_AFTER:
                self.stderr.write("still queued: is a Celery worker running? (celery -A hyoka worker)")
                hinted = True
            time.sleep(POLL_SECONDS)
        if interactive:
            self.stdout.write("")
        self.after_job(job)
        if job.status != LlmJob.Status.SUCCEEDED:
            raise HyokaError(f"job {job.public_id} {job.status}: {job.message or 'see its page for details'}")

    def after_job(self, job):
        """What to print once the job ended, before its status is judged."""


def progress_line(progress, done_label="scored"):
    finished = progress.done + progress.failed
    filled = int(BAR_WIDTH * finished / progress.total) if progress.total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    errors = ", ".join(f"{kind} {count}" for kind, count in sorted(progress.call_errors.items()))
    return (
        f"[{bar}] {progress.percent:5.1f}% {finished}/{progress.total} "
        f"({done_label} {progress.done}, failed {progress.failed}) ${progress.cost:.4f} {progress.status}"
        + (f" | errors: {errors}" if errors else "")
    )

"""Queue a generation job; with --wait, show its progress until it ends."""

from judging.management.commands.judge import campaign_named
from judging.management.waiting import JobCommand
from judging.services import generation_job_create
from judging.services.generation import endpoint_named


class Command(JobCommand):
    help = (
        "Queue a job in which model endpoint NAME answers every prompt of campaign SLUG that has no response "
        "from its model (turn by turn for multi-turn prompts, each turn sent with the model's own earlier "
        "answers); the answers become responses and the campaign's items. Celery workers do the work. Prints "
        "the estimate first. With --wait, shows a progress bar until the job ends, and exits non-zero if it "
        "does not succeed (paused, cancelled or failed), with the reason."
    )
    DONE_LABEL = "answered"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--endpoint", required=True, help="Model endpoint name.")
        parser.add_argument("--new-sample", action="store_true",
                            help="Answer as the model's next free sample (MODEL#n) instead of refusing when the "
                                 "model already has responses made elsewhere.")
        parser.add_argument("--wait", action="store_true", help="Show progress until the job ends.")

    def handle(self, *args, campaign, endpoint, new_sample, wait, **options):
        job = generation_job_create(campaign=campaign_named(campaign), endpoint=endpoint_named(endpoint),
                                    new_sample=new_sample)
        estimate = job.estimate
        self.stdout.write(
            f"job {job.public_id} {job.status}: {estimate['units']} answers, {estimate['calls']} calls "
            f"({estimate['cached']} cached), about {estimate['input_tokens']} input tokens, "
            f"estimated cost at most ${float(estimate['cost_max']):.4f}"
            + (f"; {job.message}" if job.message else "")
        )
        if wait:
            self.wait_for(job)

"""Queue a generation job; with --wait, show its progress until it ends."""

import argparse

from judging.management.commands.judge import campaign_named
from judging.management.waiting import JobCommand
from judging.models import JudgeConfig
from judging.services import generation_job_create
from judging.services.generation import endpoint_named


class Command(JobCommand):
    help = (
        "Queue a job in which model endpoint NAME answers every prompt of campaign SLUG that has no response "
        "from its model (turn by turn for multi-turn prompts, each turn sent with the model's own earlier "
        "answers); the answers become responses and the campaign's items. On an exam campaign each question is "
        "asked in the built-in Japanese exam prompt (the question, its choices, 「答え: N」 at the end) and each "
        "reply is read into the model's answer; a reply with no readable answer is counted as a parse failure "
        "(parse_error in the progress). Celery workers do the work. Prints the estimate first. With --wait, "
        "shows a progress bar until the job ends, and exits non-zero if it does not succeed (paused, cancelled "
        "or failed), with the reason."
    )
    DONE_LABEL = "answered"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--endpoint", required=True, help="Model endpoint name.")
        parser.add_argument("--new-sample", action="store_true",
                            help="Answer as the model's next free sample (MODEL#n) instead of refusing when the "
                                 "model already has responses made elsewhere.")
        exam = parser.add_argument_group("exam campaigns")
        exam.add_argument("--output-format", choices=JudgeConfig.OutputFormat.values,
                          help="text: the reply ends in 「答え: N」; json_schema: a strict JSON schema "
                               '{"reasoning": ..., "answer": [...]} (for endpoints with structured output). '
                               "Default: the endpoint's (model_endpoint --output-format).")
        exam.add_argument("--text-only", action="store_true",
                          help="Leave out the questions that need a figure (a text-only run).")
        exam.add_argument("--figures", action=argparse.BooleanOptionalAction, default=None,
                          help="Send each question's figures as image parts (the endpoint must accept images: "
                               "model_endpoint --accepts-images). Default: when the endpoint accepts images; "
                               "--no-figures asks every question by its text alone.")
        parser.add_argument("--wait", action="store_true", help="Show progress until the job ends.")

    def handle(self, *args, campaign, endpoint, new_sample, wait, output_format, text_only, figures, **options):
        exam_options = {"output_format": output_format, "text_only": text_only, "figures": figures}
        job = generation_job_create(campaign=campaign_named(campaign), endpoint=endpoint_named(endpoint),
                                    new_sample=new_sample, options=exam_options)
        estimate = job.estimate
        self.stdout.write(
            f"job {job.public_id} {job.status}: {estimate['units']} answers, {estimate['calls']} calls "
            f"({estimate['cached']} cached), about {estimate['input_tokens']} input tokens, "
            f"estimated cost at most ${float(estimate['cost_max']):.4f}"
            + (f"; {job.message}" if job.message else "")
        )
        if wait:
            self.wait_for(job)

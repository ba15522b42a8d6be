"""Queue a judge job; with --wait, show its progress until it ends."""

from annotation.errors import HyokaError
from annotation.models import Campaign
from judging.management.waiting import JobCommand
from judging.models import JudgeConfig
from judging.selectors import job_position_bias
from judging.services import judge_job_create


class Command(JobCommand):
    help = (
        "Queue a job judging every item of campaign SLUG with judge config NAME; Celery workers do the work. "
        "On a pairwise campaign every pair is judged in both orders (each response shown first once). "
        "Prints the estimate first. With --wait, shows a progress bar until the job ends (for a pairwise job "
        "then its position bias: the share of pairs judged alike in both orders, and among decisive verdicts "
        "how often the response shown first, and the longer one, won), and exits non-zero if it does not "
        "succeed (paused, cancelled or failed), with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--config", required=True, help="Judge config name.")
        parser.add_argument("--wait", action="store_true", help="Show progress until the job ends.")
        parser.add_argument("--api-error-as-score-1", action="store_true", dest="api_error_as_lowest",
                            help="Count an item whose call failed with an API error as the lowest score (1) on "
                                 "every axis in the leaderboard and the safety rates, as llm-jp-judge does (a "
                                 "guardrail may have refused). Off by default: a failure is never a score.")

    def handle(self, *args, campaign, config, wait, api_error_as_lowest=False, **options):
        job = judge_job_create(campaign=campaign_named(campaign), config=config_named(config),
                               api_error_as_lowest=api_error_as_lowest)
        estimate = job.estimate
        self.stdout.write(
            f"job {job.public_id} queued: {estimate['units']} judgments, {estimate['calls']} calls "
            f"({estimate['cached']} cached), about {estimate['input_tokens']} input tokens, "
            f"estimated cost at most ${float(estimate['cost_max']):.4f}"
        )
        if wait:
            self.wait_for(job)

    def after_job(self, job):
        bias = job_position_bias(job)
        if bias is not None:
            self.stdout.write(position_bias_line(bias))


def position_bias_line(bias):
    def figure(name, share):
        rate = "n/a" if share.rate is None else f"{share.rate:.1%}"
        return f"{name} {rate} ({share.count}/{share.n})"

    return ("position bias: " + figure("consistent in both orders", bias.consistency) + ", "
            + figure("shown first won", bias.first_position_wins) + ", "
            + figure("longer won", bias.longer_wins))


def campaign_named(slug):
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"campaign {slug} does not exist.")
    return campaign


def config_named(name):
    config = JudgeConfig.objects.select_related("rubric").filter(name=name).first()
    if config is None:
        raise HyokaError(f"judge config {name} does not exist; create it with manage.py judge_config.")
    return config

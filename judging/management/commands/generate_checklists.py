"""Ask a judge config's model to write checklists for the prompts of a campaign that have none."""

from annotation.management.base import HyokaCommand
from judging.management.commands.judge import campaign_named, config_named
from judging.services.checklists import FEWEST_QUESTIONS, MOST_QUESTIONS, checklists_generate


class Command(HyokaCommand):
    help = (
        f"For every prompt of campaign SLUG that has no checklist, ask the model of judge config NAME for "
        f"{FEWEST_QUESTIONS} to {MOST_QUESTIONS} yes/no questions a good answer should satisfy, and store them as "
        "the prompt's checklist (origin generated, generated_by NAME); judges are then given them in their "
        "template, and annotators may tick them. Calls run here one after another, with the config's cache, "
        "retries, rate limit and budget; a reply that never parses leaves its prompt without a checklist and is "
        "reported. Prints what was written and what it cost. Exits with status 1 and one line when the campaign "
        "or config is unknown or the endpoint refuses (nothing is stored then)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--config", required=True, help="Judge config name (its endpoint writes the questions).")

    def handle(self, *args, campaign, config, **options):
        result = checklists_generate(campaign=campaign_named(campaign), config=config_named(config))
        self.stdout.write(result.describe())

"""Create or update a judge config from the command line."""

from decimal import Decimal, InvalidOperation

from annotation.management.base import HyokaCommand
from judging.models import InconsistentPairs, JudgeConfig
from judging.prompts import TEMPLATES
from judging.services import judge_config_save


def decimal_argument(text):
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


class Command(HyokaCommand):
    help = (
        "Create the judge config NAME, or update it: an OpenAI-compatible endpoint and model, the environment "
        "variable that holds the API key, the rubric and prompt template, sampling, prices and limits."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A slug, e.g. gpt-4o-quality.")
        parser.add_argument("--base-url", required=True, help="e.g. https://api.openai.com/v1")
        parser.add_argument("--model", required=True, help="e.g. gpt-4o-2024-08-06")
        parser.add_argument("--api-key-env", help="The environment variable holding the key ('' for none).")
        parser.add_argument("--rubric", help="Rubric key (default: the config's, else quality-5x5).")
        parser.add_argument("--template", choices=sorted(TEMPLATES), help="Default: the one made for the rubric.")
        parser.add_argument("--output-format", choices=JudgeConfig.OutputFormat.values)
        parser.add_argument("--temperature", type=float)
        parser.add_argument("--seed", type=int)
        parser.add_argument("--max-tokens", type=int)
        parser.add_argument("--samples", type=int, help="Samples per item, aggregated by their median.")
        parser.add_argument("--price-input", type=decimal_argument, help="USD per million input tokens.")
        parser.add_argument("--price-output", type=decimal_argument, help="USD per million output tokens.")
        parser.add_argument("--budget", type=decimal_argument, help="USD per job; the job pauses when reached.")
        parser.add_argument("--concurrency", type=int, help="Calls in flight to this endpoint, across workers.")
        parser.add_argument("--rpm", type=int, help="Requests per minute across workers (0: no limit).")
        parser.add_argument("--timeout", type=int, help="Seconds per call.")
        parser.add_argument("--max-attempts", type=int, help="Calls per request in all, with retries.")
        parser.add_argument("--max-parse-retries", type=int, help="Re-asks after unparseable output.")
        parser.add_argument("--inconsistent", choices=InconsistentPairs.values,
                            help="Pairwise: a pair judged differently in the two orders counts as a tie, or is "
                                 "left out, in rankings and meta_eval (default tie).")
        parser.add_argument("--description")

    def handle(self, *args, name, rubric, template, **options):
        fields = {
            "base_url": options["base_url"], "model": options["model"], "api_key_env": options["api_key_env"],
            "output_format": options["output_format"], "temperature": options["temperature"],
            "max_tokens": options["max_tokens"], "samples": options["samples"],
            "price_input_per_million": options["price_input"], "price_output_per_million": options["price_output"],
            "concurrency": options["concurrency"], "requests_per_minute": options["rpm"],
            "timeout_seconds": options["timeout"], "max_attempts": options["max_attempts"],
            "max_parse_retries": options["max_parse_retries"], "description": options["description"],
            "inconsistent": options["inconsistent"],
        }
        fields = {key: value for key, value in fields.items() if value is not None}
        for optional in ("seed", "budget"):  # given: set; absent: leave as it is
            if options[optional] is not None:
                fields[optional] = options[optional]
        config, created = judge_config_save(name=name, rubric_key=rubric, template=template, **fields)
        action = "created" if created else "updated"
        self.stdout.write(
            f"judge config {config.name} {action}: {config.model} @ {config.base_url}, rubric {config.rubric.key}, "
            f"template {config.template} v{config.template_version}, {config.samples} sample(s) per item"
        )

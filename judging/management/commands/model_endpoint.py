"""Create or update a model endpoint from the command line."""

import argparse

from annotation.management.base import HyokaCommand
from judging.management.commands.judge_config import decimal_argument
from judging.models import JudgeConfig
from judging.services import model_endpoint_save


class Command(HyokaCommand):
    help = (
        "Create the model endpoint NAME, or update it: an OpenAI-compatible endpoint and the model name there, "
        "the environment variable that holds the API key, sampling, a system prompt, prices and limits, and how it "
        "answers exam questions (--output-format, --accepts-images). Its answers are stored as the language model "
        "NAME (or --answers-as MODEL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A slug, e.g. llm-jp-3-13b-instruct.")
        parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1 (vLLM)")
        parser.add_argument("--model", required=True, help="The model's name at the endpoint.")
        parser.add_argument("--answers-as", help="The language model its answers are stored as (default: NAME).")
        parser.add_argument("--api-key-env", help="The environment variable holding the key ('' for none).")
        parser.add_argument("--temperature", type=float)
        parser.add_argument("--top-p", type=float)
        parser.add_argument("--seed", type=int)
        parser.add_argument("--max-tokens", type=int)
        parser.add_argument("--samples", type=int, help="Answers per prompt (sample n is stored as NAME#n).")
        parser.add_argument("--system-prompt", help="Sent first in every conversation.")
        parser.add_argument("--price-input", type=decimal_argument, help="USD per million input tokens.")
        parser.add_argument("--price-output", type=decimal_argument, help="USD per million output tokens.")
        parser.add_argument("--budget", type=decimal_argument, help="USD per job; the job pauses when reached.")
        parser.add_argument("--concurrency", type=int, help="Calls in flight to this endpoint, across workers.")
        parser.add_argument("--rpm", type=int, help="Requests per minute across workers (0: no limit).")
        parser.add_argument("--timeout", type=int, help="Seconds per call.")
        parser.add_argument("--max-attempts", type=int, help="Calls per request in all, with retries.")
        parser.add_argument("--output-format", choices=JudgeConfig.OutputFormat.values,
                            help="How exam questions are answered by default: text ending in 「答え: N」 (the "
                                 "default), or json_schema for endpoints that support structured output "
                                 '({"reasoning": ..., "answer": [...]}). A generate job may override it.')
        parser.add_argument("--accepts-images", action=argparse.BooleanOptionalAction, default=None,
                            help="The endpoint takes image parts: exam questions are sent with their figures "
                                 "(--no-accepts-images: it does not).")
        parser.add_argument("--description")

    def handle(self, *args, name, answers_as, **options):
        fields = {
            "base_url": options["base_url"], "model": options["model"], "api_key_env": options["api_key_env"],
            "temperature": options["temperature"], "max_tokens": options["max_tokens"],
            "samples": options["samples"], "system_prompt": options["system_prompt"],
            "price_input_per_million": options["price_input"], "price_output_per_million": options["price_output"],
            "concurrency": options["concurrency"], "requests_per_minute": options["rpm"],
            "timeout_seconds": options["timeout"], "max_attempts": options["max_attempts"],
            "description": options["description"], "output_format": options["output_format"],
            "accepts_images": options["accepts_images"],
        }
        fields = {key: value for key, value in fields.items() if value is not None}
        for optional in ("seed", "budget", "top_p"):  # given: set; absent: leave as it is
            if options[optional] is not None:
                fields[optional] = options[optional]
        endpoint, created = model_endpoint_save(name=name, answers_as=answers_as, **fields)
        action = "created" if created else "updated"
        self.stdout.write(
            f"model endpoint {endpoint.name} {action}: {endpoint.model} @ {endpoint.base_url}, answers as "
            f"{endpoint.language_model.name}, {endpoint.samples} sample(s) per prompt"
        )

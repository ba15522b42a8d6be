"""Creating and changing judge configs."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from annotation.errors import HyokaError
from annotation.models import Rubric
from judging import kinds
from judging.models import JudgeConfig
from judging.prompts import DEFAULT_TEMPLATE_FOR_RUBRIC, TEMPLATES, template_for, templates_fitting

DEFAULT_RUBRIC = "quality-5x5"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Fields a lead may set besides name, rubric and template; each has the model's default.
SETTABLE_FIELDS = (
    "description", "base_url", "model", "api_key_env", "output_format", "temperature", "seed", "max_tokens",
    "samples", "price_input_per_million", "price_output_per_million", "budget", "concurrency",
    "requests_per_minute", "timeout_seconds", "max_attempts", "max_parse_retries", "inconsistent",
)


@transaction.atomic
def judge_config_save(*, name, rubric_key=None, template=None, **fields):
    """Create the config NAME, or update the fields given. Returns (config, created).

    The template defaults to the one made for the rubric (safety for safety-5,
    mt-bench for mt-bench-10, pairwise for pairwise rubrics, quality otherwise) and is
    pinned to its current version.
    """
    unknown = set(fields) - set(SETTABLE_FIELDS)
    if unknown:
        raise HyokaError(f"unknown judge config fields: {', '.join(sorted(unknown))}")
    config = JudgeConfig.objects.select_for_update().filter(name=name).first()
    if config is not None and config.is_external:
        raise HyokaError(f"judge {name} holds imported verdicts and has no endpoint; choose another name.")
    created = config is None
    config = config or JudgeConfig(name=name)
    for field, value in fields.items():
        if value is not None or field in ("seed", "budget"):
            setattr(config, field, value)
    config.rubric = _rubric(rubric_key, config)
    judge_config_validate(config, template=template)
    config.save()
    return config, created


def judge_config_validate(config, template=None):
    """Check an unsaved config (endpoint, names, numbers, template against rubric) and pin its template version.

    ``template`` is the template key to set; by default the config's own, else the rubric's.
    Raises HyokaError naming the first problem. Used by the command, the pages and the admin.
    """
    if config.is_external:
        return
    if config.rubric_id is None:
        raise HyokaError("a judge config needs a rubric, e.g. quality-5x5.")
    _set_template(config, template)
    _check(config)


def _rubric(rubric_key, config):
    if rubric_key is None:
        return config.rubric if config.rubric_id else Rubric.objects.get(key=DEFAULT_RUBRIC)
    rubric = Rubric.objects.filter(key=rubric_key).first()
    if rubric is None:
        raise HyokaError(f"rubric {rubric_key} does not exist; import it first (manage.py import_rubric FILE).")
    return rubric


def _set_template(config, key):
    """Set the template ``key`` (else keep the config's own if it fits the rubric's kind, else the rubric's)."""
    rubric, kind = config.rubric, kinds.for_rubric(config.rubric)
    current = template_for(config.template)
    if not key and current is not None and current.fits(rubric):
        key = config.template
    key = key or DEFAULT_TEMPLATE_FOR_RUBRIC.get(rubric.key) or kind.DEFAULT_TEMPLATE
    template = template_for(key)
    if template is None:
        raise HyokaError(f"template {key} does not exist; choose one of {', '.join(TEMPLATES)}.")
    if not template.fits(rubric):
        raise HyokaError(f"template {key} is for {template.kind} rubrics, but rubric {rubric.key} is {rubric.kind}; "
                         f"choose {', '.join(templates_fitting(rubric))}.")
    problem = template.check(kind.template_scale(rubric))
    if problem:
        raise HyokaError(f"template {key} cannot judge with rubric {config.rubric.key}: {problem}.")
    config.template, config.template_version = key, template.version


def _check(config):
    parts = urlsplit(config.base_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HyokaError(f"base URL {config.base_url!r} is not an http(s) URL, e.g. https://api.openai.com/v1.")
    if not (config.model or "").strip():
        raise HyokaError("model is required, e.g. gpt-4o-2024-08-06.")
    if config.api_key_env and not ENV_NAME.match(config.api_key_env):
        raise HyokaError(f"API key variable {config.api_key_env!r} is not an environment variable name.")
    try:
        config.full_clean(exclude=["rubric"], validate_unique=False)
    except ValidationError as error:
        raise HyokaError("; ".join(f"{field}: {' '.join(messages)}"
                                   for field, messages in error.message_dict.items())) from None

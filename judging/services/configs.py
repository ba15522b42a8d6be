"""Creating and changing judge configs."""

from django.db import transaction

from annotation.errors import HyokaError
from annotation.models import Rubric
from judging import kinds
from judging.models import JudgeConfig
from judging.prompts import DEFAULT_TEMPLATE_FOR_RUBRIC, TEMPLATES, template_for, templates_fitting
from judging.services.connections import CONNECTION_FIELDS, NULLABLE_FIELDS, connection_check

DEFAULT_RUBRIC = "quality-5x5"

# Fields a lead may set besides name, rubric and template; each has the model's default.
SETTABLE_FIELDS = ("description", *CONNECTION_FIELDS, "output_format", "max_parse_retries", "inconsistent")


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
        if value is not None or field in NULLABLE_FIELDS:
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
    connection_check(config, exclude=["rubric"])


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

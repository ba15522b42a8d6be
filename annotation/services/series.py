"""Model series and their checkpoints, made by a lead in a form (the import makes them too:
annotation.services.checkpoint_imports)."""

from django.db import transaction

from annotation.errors import HyokaError
from annotation.models import LanguageModel, ModelSeries


def series_create(*, name, family="", size="", description="", created_by=None):
    if ModelSeries.objects.filter(name=name).exists():
        raise HyokaError(f"a model series named {name} exists already")
    return ModelSeries.objects.create(name=name, family=family, size=size, description=description,
                                      created_by=created_by)


def series_for_import(*, name, family="", size="", user=None):
    """The series ``name``, created when missing; a family or size other than the stored one is an error."""
    series, created = ModelSeries.objects.get_or_create(
        name=name, defaults={"family": family, "size": size, "created_by": user})
    if not created and ((family and family != series.family) or (size and size != series.size)):
        raise HyokaError(f"series {name} is stored as {series.family} {series.size}, not {family} {size}")
    return series


def checkpoint_name(series, step):
    return f"{series.name}-step{step}"


@transaction.atomic
def series_checkpoint_add(*, series, step, tokens=None, name=""):
    """A checkpoint of the series at ``step``: a LanguageModel (named ``<series>-step<step>`` unless ``name``
    is given) that can answer prompts and be rated like any other."""
    name = name or checkpoint_name(series, step)
    if LanguageModel.objects.filter(series=series, step=step).exists():
        raise HyokaError(f"series {series.name} has a checkpoint at step {step} already")
    if LanguageModel.objects.filter(name=name).exists():
        raise HyokaError(f"a language model named {name} exists already")
    return LanguageModel.objects.create(name=name, family=series.family, size=series.size, checkpoint=f"step {step}",
                                        series=series, step=step, tokens=tokens)

from django.db import transaction

from annotation.errors import FieldError, HyokaError, RecordError
from annotation.models import Item, Rubric, RubricAxis
from annotation.readers import read_json_file
from annotation.rubric_axes import rubric_axes_forget
from annotation.rubric_definitions import AxisDefinition, RubricDefinition, parse_rubric_definition


def rubric_is_used(rubric):
    """True once any item of a campaign on this rubric has a rating or a judge verdict."""
    used_items = Item.objects.filter(campaign__rubric=rubric)
    return used_items.filter(ratings__isnull=False).exists() or used_items.filter(verdicts__isnull=False).exists()


def rubric_definition_of(rubric):
    """The RubricDefinition a stored rubric was made from, for comparing with a new one."""
    axes = tuple(
        AxisDefinition(
            key=axis.key,
            label_ja=axis.label_ja,
            label_en=axis.label_en,
            criterion_ja=axis.criterion_ja,
            criterion_en=axis.criterion_en,
            min_score=axis.min_score,
            max_score=axis.max_score,
            points=axis.points,
        )
        for axis in rubric.axes.order_by("position")
    )
    return RubricDefinition(rubric.key, rubric.name, rubric.kind, rubric.description_ja, rubric.description_en,
                            tuple(rubric.verdicts), axes)


def rubric_file_import(*, path):
    """Create or update a rubric from a JSON definition file (gzip-compressed or not); as rubric_import.

    A bad definition is a RecordError naming the file and the field (line 1: the document as a whole)."""
    data = read_json_file(path)
    try:
        definition = parse_rubric_definition(data)
    except FieldError as error:
        raise RecordError(path, 1, error.field, error.reason) from None
    return rubric_import(definition=definition)


@transaction.atomic
def rubric_import(*, definition):
    """Create or update a rubric from a checked definition; return (rubric, "created" | "unchanged" | "updated").

    A built-in rubric, or one that ratings or verdicts already use, is never changed in place.
    """
    rubric = Rubric.objects.select_for_update().filter(key=definition.key).first()
    if rubric is None:
        rubric = Rubric.objects.create(
            key=definition.key,
            name=definition.name,
            kind=definition.kind,
            description_ja=definition.description_ja,
            description_en=definition.description_en,
            verdicts=list(definition.verdicts),
        )
        _create_axes(rubric, definition)
        return rubric, "created"
    if rubric_definition_of(rubric).as_comparable() == definition.as_comparable():
        return rubric, "unchanged"
    if rubric.is_builtin:
        raise HyokaError(f"rubric {rubric.key} is built in and cannot be changed; give yours a new key.")
    if rubric_is_used(rubric):
        raise HyokaError(
            f"rubric {rubric.key} already has ratings or verdicts, so it is never changed in place; "
            f"give the new definition a new key, such as {rubric.key}-v2."
        )
    rubric.name = definition.name
    rubric.kind = definition.kind
    rubric.description_ja, rubric.description_en = definition.description_ja, definition.description_en
    rubric.verdicts = list(definition.verdicts)
    rubric.save()
    rubric.axes.all().delete()
    _create_axes(rubric, definition)
    rubric_axes_forget(rubric)
    return rubric, "updated"


def _create_axes(rubric, definition):
    RubricAxis.objects.bulk_create(
        RubricAxis(
            rubric=rubric,
            key=axis.key,
            position=position,
            label_ja=axis.label_ja,
            label_en=axis.label_en,
            criterion_ja=axis.criterion_ja,
            criterion_en=axis.criterion_en,
            min_score=axis.min_score,
            max_score=axis.max_score,
            points=axis.points,
        )
        for position, axis in enumerate(definition.axes)
    )

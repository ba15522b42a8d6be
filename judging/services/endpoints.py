"""Creating and changing model endpoints."""

from django.db import transaction

from annotation.errors import HyokaError
from annotation.models import LanguageModel
from judging.models import ModelEndpoint
from judging.services.connections import CONNECTION_FIELDS, NULLABLE_FIELDS, connection_check

# Fields a lead may set besides the name and the model it answers as; each has the model's default.
SETTABLE_FIELDS = ("description", *CONNECTION_FIELDS, "system_prompt", "output_format", "accepts_images")


@transaction.atomic
def model_endpoint_save(*, name, answers_as=None, **fields):
    """Create the endpoint NAME, or update the fields given. Returns (endpoint, created).

    It answers as the LanguageModel ``answers_as`` (by default, for a new endpoint, the model called NAME),
    made when missing. The model it answers as is fixed once the endpoint made a response.
    """
    unknown = set(fields) - set(SETTABLE_FIELDS)
    if unknown:
        raise HyokaError(f"unknown model endpoint fields: {', '.join(sorted(unknown))}")
    endpoint = ModelEndpoint.objects.select_for_update().filter(name=name).first()
    created = endpoint is None
    endpoint = endpoint or ModelEndpoint(name=name)
    for field, value in fields.items():
        if value is not None or field in NULLABLE_FIELDS:
            setattr(endpoint, field, value)
    if created or answers_as:
        _answer_as(endpoint, answers_as or name)
    model_endpoint_validate(endpoint)
    endpoint.save()
    return endpoint, created


def _answer_as(endpoint, model_name):
    if endpoint.pk and endpoint.language_model.name != model_name and endpoint.generations.exists():
        raise HyokaError(f"endpoint {endpoint.name} already answered as {endpoint.language_model.name}; "
                         f"make a new endpoint to answer as {model_name}.")
    endpoint.language_model, _ = LanguageModel.objects.get_or_create(name=model_name)


def model_endpoint_validate(endpoint):
    """Check an unsaved endpoint (the connection, its name); raises HyokaError naming the first problem.
    Used by the command, the pages and the API."""
    if "#" in endpoint.language_model.name:
        raise HyokaError(f"model name {endpoint.language_model.name!r} holds '#', which marks samples "
                         f"(MODEL#2 is MODEL's second sample); choose another name.")
    connection_check(endpoint, exclude=["language_model"])

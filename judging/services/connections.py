"""Checking the connection settings that judge configs and model endpoints share (EndpointConnection)."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from annotation.errors import HyokaError

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The connection fields a lead may set, on a judge config or a model endpoint; each has the model's default.
CONNECTION_FIELDS = (
    "base_url", "model", "api_key_env", "temperature", "top_p", "seed", "max_tokens", "samples",
    "price_input_per_million", "price_output_per_million", "budget", "concurrency", "requests_per_minute",
    "timeout_seconds", "max_attempts",
)
NULLABLE_FIELDS = ("seed", "budget", "top_p")  # None given means "clear it", not "leave it"


def connection_check(connection, exclude=()):
    """Raise HyokaError naming the first problem of an unsaved judge config or model endpoint: an http(s) base
    URL, a model, an environment variable name, and every field within its range."""
    parts = urlsplit(connection.base_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HyokaError(f"base URL {connection.base_url!r} is not an http(s) URL, e.g. https://api.openai.com/v1.")
    if not (connection.model or "").strip():
        raise HyokaError("model is required, e.g. gpt-4o-2024-08-06.")
    if connection.api_key_env and not ENV_NAME.match(connection.api_key_env):
        raise HyokaError(f"API key variable {connection.api_key_env!r} is not an environment variable name.")
    try:
        connection.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as error:
        raise HyokaError("; ".join(f"{field}: {' '.join(messages)}"
                                   for field, messages in error.message_dict.items())) from None

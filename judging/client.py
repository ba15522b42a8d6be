"""The one seam to OpenAI-compatible Chat Completions APIs (OpenAI, Azure OpenAI, vLLM, llama.cpp, ...).

Everything that talks to a model (a judge, or a model answering prompts) goes through
JudgeClient.complete(), made for a connection by client_for(). It uses
the official ``openai`` client with an explicit timeout and ``max_retries=0``: the
retry policy is Hyoka's (judging.services.engine), not the library's. Failures come
out as JudgeCallError with a ``kind`` (the JudgeCall outcome it is recorded as), a
``permanent`` flag (trying the same request again cannot help) and the
``retry_after`` the server asked for, in seconds.
"""

import email.utils
import os
import time
from dataclasses import dataclass

# Kinds a failed call is recorded as; they match JudgeCall.Outcome.
RATE_LIMITED, SERVER_ERROR, TIMEOUT, CONNECTION = "rate_limited", "server_error", "timeout", "connection"
AUTH, FORBIDDEN, NOT_FOUND, QUOTA = "auth", "forbidden", "not_found", "quota"
BAD_REQUEST, INVALID_RESPONSE = "bad_request", "invalid_response"

# Failures that concern the endpoint as a whole, not one request: the job pauses until a lead acts.
ENDPOINT_KINDS = {AUTH, FORBIDDEN, NOT_FOUND, QUOTA}


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list
    temperature: float
    max_tokens: int
    seed: int | None = None
    response_format: dict | None = None
    top_p: float | None = None


@dataclass(frozen=True)
class ChatCompletion:
    content: str
    refusal: str
    finish_reason: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    model: str


class JudgeCallError(Exception):
    def __init__(self, kind, message, *, permanent, status=None, retry_after=None, latency_ms=0):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after
        self.latency_ms = latency_ms

    @property
    def pauses_job(self):
        return self.kind in ENDPOINT_KINDS


class JudgeClient:
    """A client for one endpoint; thread-safe (one connection pool shared by the threads of a worker)."""

    def __init__(self, *, base_url, api_key, timeout):
        import openai  # here, not at the top: web processes import this module, only workers call endpoints

        # Local servers (vLLM, llama.cpp) take no key, but the openai client insists on one.
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "no-key", timeout=timeout, max_retries=0)

    def complete(self, request):
        import openai

        started = time.monotonic()
        try:
            completion = self._client.chat.completions.create(**_arguments(request))
        except openai.APIError as error:
            raise _call_error(error, _elapsed_ms(started)) from error
        return _completion(completion, _elapsed_ms(started))

    def close(self):
        self._client.close()


def client_for(connection):
    """The client of a judge config or model endpoint (judging.models.EndpointConnection), with the key read
    from its environment variable on this worker."""
    api_key = os.environ.get(connection.api_key_env, "") if connection.api_key_env else ""
    return JudgeClient(base_url=connection.base_url, api_key=api_key, timeout=connection.timeout_seconds)


def _arguments(request):
    arguments = {
        "model": request.model,
        "messages": request.messages,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    if request.seed is not None:
        arguments["seed"] = request.seed
    if request.top_p is not None:
        arguments["top_p"] = request.top_p
    if request.response_format is not None:
        arguments["response_format"] = request.response_format
    return arguments


def _completion(completion, latency_ms):
    if not completion.choices:
        raise JudgeCallError(INVALID_RESPONSE, "the endpoint answered with no choices", permanent=False,
                             status=200, latency_ms=latency_ms)
    choice = completion.choices[0]
    usage = completion.usage
    return ChatCompletion(
        content=choice.message.content or "",
        refusal=getattr(choice.message, "refusal", None) or "",
        finish_reason=choice.finish_reason or "",
        tokens_in=(usage.prompt_tokens or 0) if usage else 0,
        tokens_out=(usage.completion_tokens or 0) if usage else 0,
        latency_ms=latency_ms,
        model=completion.model or "",
    )


def _call_error(error, latency_ms):
    import openai

    if isinstance(error, openai.APITimeoutError):
        return JudgeCallError(TIMEOUT, "the endpoint did not answer in time", permanent=False, latency_ms=latency_ms)
    if isinstance(error, openai.APIConnectionError):
        return JudgeCallError(CONNECTION, f"cannot connect: {error}", permanent=False, latency_ms=latency_ms)
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, latency_ms)
    return JudgeCallError(INVALID_RESPONSE, f"unreadable answer: {error}", permanent=False, latency_ms=latency_ms)


def _status_error(error, latency_ms):
    status = error.status_code
    retry_after = retry_after_seconds(error.response.headers)
    detail = f"HTTP {status}: {_message_of(error)}"
    options = {"status": status, "retry_after": retry_after, "latency_ms": latency_ms}
    if status == 429:
        if error.code == "insufficient_quota":  # OpenAI's 429 for an empty account: waiting does not help
            return JudgeCallError(QUOTA, detail, permanent=True, **options)
        return JudgeCallError(RATE_LIMITED, detail, permanent=False, **options)
    if status >= 500 or status in (408, 409):
        return JudgeCallError(TIMEOUT if status == 408 else SERVER_ERROR, detail, permanent=False, **options)
    kind = {401: AUTH, 403: FORBIDDEN, 404: NOT_FOUND}.get(status, BAD_REQUEST)
    return JudgeCallError(kind, detail, permanent=True, **options)


def _message_of(error):
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(error.message)[:300]


def retry_after_seconds(headers):
    """Seconds from ``retry-after-ms``, or ``Retry-After`` as seconds or an HTTP date; None when absent."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def _elapsed_ms(started):
    return int((time.monotonic() - started) * 1000)

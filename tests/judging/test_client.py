"""The one seam to OpenAI-compatible APIs, against the fake server through the real openai client."""

import socket

import pytest

from judging.client import ChatRequest, JudgeCallError, JudgeClient, retry_after_seconds
from judging.testing.fake_server import Reply

REQUEST = ChatRequest(model="judge", messages=[{"role": "user", "content": "評価して"}], temperature=0.0,
                      max_tokens=64, seed=3, response_format={"type": "json_object"})


@pytest.fixture
def client(fake_llm):
    judge = JudgeClient(base_url=fake_llm.base_url, api_key="sk-test", timeout=1)
    yield judge
    judge.close()


def failure_of(client):
    with pytest.raises(JudgeCallError) as raised:
        client.complete(REQUEST)
    return raised.value


def test_a_completion_brings_text_finish_reason_tokens_and_latency(client, fake_llm):
    fake_llm.script(Reply.text("[[7]]", prompt_tokens=321, completion_tokens=9, delay=0.05))
    answer = client.complete(REQUEST)
    assert (answer.content, answer.finish_reason, answer.tokens_in, answer.tokens_out) == ("[[7]]", "stop", 321, 9)
    assert answer.latency_ms >= 50 and answer.model == "judge" and answer.refusal == ""
    sent = fake_llm.requests[0]
    assert (sent["seed"], sent["max_tokens"], sent["temperature"], sent["response_format"]) == (
        3, 64, 0.0, {"type": "json_object"})
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-test"


def test_truncation_and_refusal_come_through(client, fake_llm):
    fake_llm.script(Reply.truncated("途中"), Reply.refused("No."))
    assert client.complete(REQUEST).finish_reason == "length"
    assert client.complete(REQUEST).refusal == "No."


@pytest.mark.parametrize("reply, kind, permanent, pauses", [
    (Reply.error(429, "slow down", retry_after=2), "rate_limited", False, False),
    (Reply.error(500, "boom"), "server_error", False, False),
    (Reply.error(503, "busy"), "server_error", False, False),
    (Reply.error(401, "bad key"), "auth", True, True),
    (Reply.error(403, "forbidden"), "forbidden", True, True),
    (Reply.error(404, "no model"), "not_found", True, True),
    (Reply.error(400, "too long"), "bad_request", True, False),
])
def test_http_errors_are_typed(client, fake_llm, reply, kind, permanent, pauses):
    fake_llm.script(reply)
    error = failure_of(client)
    assert (error.kind, error.permanent, error.pauses_job, error.status) == (kind, permanent, pauses, reply.status)
    assert reply.body["error"]["message"] in error.message


def test_retry_after_is_read_and_an_exhausted_quota_is_permanent(client, fake_llm):
    fake_llm.script(Reply.error(429, "slow down", retry_after=2),
                    Reply(status=429, body={"error": {"message": "quota", "code": "insufficient_quota"}}))
    assert failure_of(client).retry_after == 2
    quota = failure_of(client)
    assert (quota.kind, quota.permanent, quota.pauses_job) == ("quota", True, True)


def test_a_slow_reply_is_a_timeout_and_a_closed_port_a_connection_error(client, fake_llm):
    fake_llm.script(Reply.slow(2))
    assert failure_of(client).kind == "timeout"
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = JudgeClient(base_url=f"http://127.0.0.1:{port}/v1", api_key="", timeout=1)
    error = failure_of(closed)
    assert (error.kind, error.permanent) == ("connection", False)


def test_retry_after_forms():
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"retry-after": "3"}) == 3
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after_seconds({"retry-after": "soon"}) is None and retry_after_seconds({}) is None

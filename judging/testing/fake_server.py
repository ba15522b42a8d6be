"""A real OpenAI-compatible HTTP server on loopback, scripted per test or benchmark.

It implements ``POST /v1/chat/completions`` (and ``GET /v1/models``) well enough for the
official ``openai`` client: the judge code under test makes real HTTP calls, nothing is
patched. Each request is answered by a behaviour (a Reply), taken from a queue of replies
scripted by the test, or computed by a function of the request when the queue is empty.

    with FakeLLMServer() as server:
        server.script(Reply.error(429, retry_after=1), Reply.text("関連性: 4 ..."))
        ... JudgeConfig(base_url=server.base_url) ...
        assert len(server.requests) == 2

The default function answers every request with valid scores, read off the JSON schema of
the request (or as text lines when the request asks for no schema). Only 127.0.0.1 is bound.
"""

import functools
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    """One scripted behaviour: a completion, an HTTP error, or a connection cut, after ``delay`` seconds."""

    status: int = 200
    content: str | None = ""
    finish_reason: str = "stop"
    refusal: str | None = None
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    delay: float = 0.0
    prompt_tokens: int = 100
    completion_tokens: int = 20

    @classmethod
    def text(cls, content, **options):
        return cls(content=content, **options)

    @classmethod
    def json(cls, payload, **options):
        return cls(content=json.dumps(payload, ensure_ascii=False), **options)

    @classmethod
    def error(cls, status, message="scripted error", retry_after=None, **options):
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"error": {"message": message, "type": "scripted", "code": str(status)}}
        return cls(status=status, headers=headers, body=body, content=None, **options)

    @classmethod
    def truncated(cls, content="理由: 応答は", **options):
        return cls(content=content, finish_reason="length", **options)

    @classmethod
    def refused(cls, refusal="I can't help with that.", **options):
        return cls(content=None, refusal=refusal, **options)

    @classmethod
    def slow(cls, seconds, reply=None):
        reply = reply or cls()
        return cls(**{**reply.__dict__, "delay": seconds})


def valid_scores_reply(request, score=None, delay=0.0):
    """Valid scores for whatever the request asks: every axis of its JSON schema, or MT-Bench's [[n]]; for a
    pairwise comparison the verdict [[A]] (the answer shown first wins).

    ``score`` defaults to the highest point of each axis minus one (so 4 on a 1..5 scale). A prompt's
    checklist, when the request shows one, is answered yes throughout (for both responses of a pair).
    """
    schema = _json_schema(request)
    prompt = request["messages"][-1]["content"]
    if "チェックリストを作る" in request["messages"][0]["content"]:  # asked to write a checklist
        questions = ["質問に直接答えているか", "事実に誤りがないか", "日本語として自然か"]
        if schema is not None:
            return Reply.json({"checklist": questions}, delay=delay)
        return Reply.text("\n".join(f"{n}. {text}" for n, text in enumerate(questions, start=1)), delay=delay)
    questions = len(re.findall(r"^\d+\. ", prompt.split("[チェックリスト]\n", 1)[1].split("\n\n")[0],
                               flags=re.MULTILINE)) if "[チェックリスト]\n" in prompt else 0
    pairwise = "[[A]]" in prompt or (schema is not None and "verdict" in schema["properties"])
    if schema is not None:
        payload = ({"rationale": "Aの方が的確です。", "verdict": "A"} if pairwise else
                   {"rationale": "簡潔で正確な応答です。",
                    "scores": {key: _pick(spec["enum"], score)
                               for key, spec in schema["properties"]["scores"]["properties"].items()}})
        if questions:
            answers = [True] * questions
            payload["checklist"] = {"A": answers, "B": answers} if pairwise else answers
        return Reply.json(payload, delay=delay)
    sides = ("A", "B") if pairwise else ("",)
    checks = "".join(f"\nチェック{n}{side}: はい" for n in range(1, questions + 1) for side in sides)
    if pairwise:
        return Reply.text(f"Aの方が的確です。{checks}\n[[A]]", delay=delay)
    if "[[" in prompt:
        return Reply.text(f"よく書けています。{checks}\n評価：[[{score or 8}]]", delay=delay)
    labels = re.findall(r"^- (\S+?)（", prompt, flags=re.MULTILINE)
    lines = "\n".join(f"{label}: {score or 4}" for label in labels)
    return Reply.text(f"理由: 簡潔で正確な応答です。\n{lines}{checks}", delay=delay)


ANSWER_LINE = "富士山は日本で一番高い山で、標高は三七七六メートルです。静岡県と山梨県にまたがり、古くから信仰の対象でした。"


def answer_reply(request, size=1000, delay=0.0):
    """A model's answer to a generation request: about ``size`` characters of Japanese that start by quoting
    the start of the last user message (so a test can tell which question it answers)."""
    question = request["messages"][-1]["content"][:40]
    text = f"「{question}」への答え：" + ANSWER_LINE * (1 + size // len(ANSWER_LINE))
    return Reply.text(text[:size], delay=delay, completion_tokens=size)


def _json_schema(request):
    response_format = request.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return None
    return response_format["json_schema"]["schema"]


def _pick(choices, score):
    if score is not None and score in choices:
        return score
    return choices[-2] if len(choices) > 1 else choices[0]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 refuses connections when 32 clients start at once
    daemon_threads = True


class FakeLLMServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; a context manager."""

    def __init__(self, responder=valid_scores_reply, delay=0.0):
        self.responder = responder
        self.delay = delay
        self.requests = []  # the decoded JSON bodies, in arrival order
        self.headers = []  # the request headers (names in lower case), in the same order
        self._queue = deque()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests answered at once: what the concurrency limit held
        self._hold_from = None  # requests from this index on wait for release() (see hold_after)
        self._released = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm", daemon=True)

    @property
    def base_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies):
        """Answer the next requests with these replies, in order; then fall back to the responder."""
        with self._lock:
            self._queue.extend(replies)

    def hold_after(self, count):
        """Answer the next ``count`` requests as usual, then keep every later one waiting, unanswered, until
        release() (or two minutes): a test can then stop a worker at a known point, whatever the machine's load."""
        with self._lock:
            self._hold_from = len(self.requests) + count
            self._released.clear()

    def release(self):
        self._released.set()

    def reply_for(self, request):
        with self._lock:
            self.requests.append(request)
            held = self._hold_from is not None and len(self.requests) > self._hold_from
            reply = self._queue.popleft() if self._queue else None
        if held:
            self._released.wait(timeout=120)
        return reply or self.responder(request)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def _handler_for(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
        disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms delayed-ACK stall

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:  # the client went away mid-request (a killed worker): nothing was asked
                self.close_connection = True
                return
            try:
                request = json.loads(body or b"{}")
            except json.JSONDecodeError:
                return self._send(400, {"error": {"message": "body is not JSON"}})
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            with server._lock:
                server.headers.append({name.lower(): value for name, value in self.headers.items()})
            reply = server.reply_for(request)
            with server._lock:
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                delay = reply.delay or server.delay
                if delay:
                    time.sleep(delay)
            finally:
                # Counted out before the answer is sent: a client that has its answer may call again at once,
                # and must not find this call still counted (a limit of 4 would seem to let 5 through).
                with server._lock:
                    server.in_flight -= 1
            if reply.status != 200:
                return self._send(reply.status, reply.body or {}, reply.headers)
            return self._send(200, _completion(request, reply), reply.headers)

        def do_GET(self):
            if self.path.rstrip("/") == "/v1/models":
                return self._send(200, {"object": "list", "data": [{"id": "fake-judge", "object": "model"}]})
            return self._send(404, {"error": {"message": f"no route {self.path}"}})

        def _send(self, status, payload, headers=None):
            body = json.dumps(payload, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

        def log_message(self, *args):
            pass

    return Handler


def _completion(request, reply):
    message = {"role": "assistant", "content": reply.content}
    if reply.refusal is not None:
        message["refusal"] = reply.refusal
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-judge"),
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def main():
    """Serve valid scores (or answers) after --delay seconds until interrupted: ``python -m judging.testing.fake_server``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--delay", type=float, default=0.2, help="Seconds before each answer.")
    parser.add_argument("--answer-chars", type=int, default=0,
                        help="Answer every request like a model answering a prompt, with this many characters of "
                             "Japanese (answer_reply), instead of valid judge scores.")
    arguments = parser.parse_args()
    responder = valid_scores_reply
    if arguments.answer_chars:
        responder = functools.partial(answer_reply, size=arguments.answer_chars)
    server = FakeLLMServer(responder=responder, delay=arguments.delay).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

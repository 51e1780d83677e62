"""A scripted fake OpenAI-compatible server for tests and benchmarks.

Serves ``POST /v1/chat/completions`` (and ``GET /v1/models``) on 127.0.0.1,
a free port, from a script of replies, so the real ``openai`` client can be
tested without a network or a live LLM (FACTS.md, "openai client")::

    with FakeOpenAI([structured({...}), tool_calls(call("set_title", {"title": "Hi"})),
                     message("done")]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        ...
        assert server.requests[0]["model"] == "fake-model"

Each reply is consumed by one request, in order. A reply may also be a
callable ``body -> reply`` that builds the answer from the request. Every
request body is recorded in ``requests``; ``usage`` is filled in each reply
from a crude, deterministic token count (``count_tokens``: about four
characters per token) and summed in ``prompt_tokens`` / ``completion_tokens``.
A request after the script ran out gets HTTP 500 and is listed in
``unexpected``; leaving the ``with`` block then fails the test.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# ---------------------------------------------------------------------------
# Replies
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """One scripted tool call; ``arguments`` is sent verbatim when it is a string."""

    name: str
    arguments: str | dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an assistant message, or an HTTP error, maybe after a delay."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    refusal: str | None = None
    finish_reason: str | None = None  # default: "tool_calls" when there are calls, else "stop"
    status: int = 200
    error: str = ""
    delay: float = 0.0  # seconds to wait before answering (client timeouts)


def message(text: str) -> Reply:
    """A plain assistant message."""
    return Reply(content=text)


def structured(obj: Any) -> Reply:
    """Structured output: ``obj`` as JSON text, or a string sent as it is (malformed JSON)."""
    return Reply(content=obj if isinstance(obj, str) else json.dumps(obj))


def call(name: str, arguments: str | dict[str, Any]) -> ToolCall:
    """A tool call; pass a string for malformed arguments."""
    return ToolCall(name, arguments)


def tool_calls(*calls: ToolCall, content: str | None = None) -> Reply:
    """An assistant message that calls tools."""
    return Reply(content=content, tool_calls=tuple(calls))


def refusal(text: str) -> Reply:
    """The model refuses (structured-output refusal field)."""
    return Reply(refusal=text)


def http_error(status: int = 500, text: str = "internal error") -> Reply:
    """An HTTP error answer in OpenAI's error format."""
    return Reply(status=status, error=text)


def stall(seconds: float, then: Reply | None = None) -> Reply:
    """Answer only after ``seconds`` (to trigger client timeouts)."""
    base = then or message("late")
    return Reply(**{**base.__dict__, "delay": seconds})


ScriptItem = Reply | Callable[[dict[str, Any]], Reply]


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: about four characters per token."""
    return math.ceil(len(text) / 4) if text else 0


def _prompt_text(body: dict[str, Any]) -> str:
    """Everything the model would read: messages, tools and the response schema."""
    parts = [json.dumps(body.get("messages", []))]
    for key in ("tools", "response_format"):
        if key in body:
            parts.append(json.dumps(body[key]))
    return "".join(parts)


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------


@dataclass
class _State:
    script: list[ScriptItem]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    state: _State  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, text: str) -> None:
        self._send(status, {"error": {"message": text, "type": "fake_error", "param": None, "code": None}})

    def do_GET(self) -> None:
        """``/v1/models``: one fake model."""
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        """``/v1/chat/completions``: the next scripted reply."""
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(404, f"no route {self.path}")
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._error(400, "request body is not JSON")
            return
        st = self.state
        with st.lock:
            n = len(st.requests)
            st.requests.append(body)
            st.headers.append({k.lower(): v for k, v in self.headers.items()})
            item = st.script[n] if n < len(st.script) else None
            if item is None:
                st.unexpected.append(body)
        if item is None:
            self._error(500, f"fake server script exhausted: request {n + 1}, script has {len(st.script)}")
            return
        reply = item(body) if callable(item) else item
        if reply.delay and st.stop.wait(reply.delay):
            return  # server closing
        if reply.status != 200:
            self._error(reply.status, reply.error)
            return
        self._send(200, self._completion(n, body, reply))

    def _completion(self, n: int, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
        out_text = (reply.content or "") + (reply.refusal or "")
        if reply.tool_calls:
            msg["tool_calls"] = []
            for i, tc in enumerate(reply.tool_calls):
                args = tc.arguments if isinstance(tc.arguments, str) else json.dumps(tc.arguments)
                msg["tool_calls"].append(
                    {"id": f"call_{n + 1}_{i + 1}", "type": "function", "function": {"name": tc.name, "arguments": args}}
                )
                out_text += tc.name + args
        prompt, completion = count_tokens(_prompt_text(body)), count_tokens(out_text)
        with self.state.lock:
            self.state.prompt_tokens += prompt
            self.state.completion_tokens += completion
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return {
            "id": f"chatcmpl-fake-{n + 1}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": msg, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }


class FakeOpenAI:
    """A scripted OpenAI-compatible chat server on 127.0.0.1 (use as a context manager)."""

    def __init__(self, script: Iterable[ScriptItem] = ()) -> None:
        self._state = _State(script=list(script))
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port."""
        self._state.stop.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.close()
        if exc_type is None and self._state.unexpected:
            raise AssertionError(f"{len(self._state.unexpected)} request(s) after the script ran out")

    # -- script and records -------------------------------------------------

    def add(self, *replies: ScriptItem) -> None:
        """Append replies to the script."""
        with self._state.lock:
            self._state.script.extend(replies)

    @property
    def base_url(self) -> str:
        """What to give ``openai.OpenAI(base_url=...)``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat requests received, in order."""
        return self._state.requests

    @property
    def headers(self) -> list[dict[str, str]]:
        """Headers of the chat requests (lower-case names), parallel to ``requests``."""
        return self._state.headers

    @property
    def unexpected(self) -> list[dict[str, Any]]:
        """Bodies of requests that arrived after the script ran out."""
        return self._state.unexpected

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens reported in ``usage`` so far."""
        return self._state.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        """Completion tokens reported in ``usage`` so far."""
        return self._state.completion_tokens

    @property
    def remaining(self) -> int:
        """Scripted replies not yet used."""
        return max(0, len(self._state.script) - len(self._state.requests))

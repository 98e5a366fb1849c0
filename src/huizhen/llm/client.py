"""An OpenAI-compatible chat-completions client over HTTP (httpx).

Why our own thin client rather than a vendor SDK: the endpoints hospitals run
(DeepSeek, Hunyuan's OpenAI-compatible API, vLLM, Ollama, llama.cpp's server)
agree on ``POST {base}/chat/completions`` and little else — some accept a JSON
schema, some only ``json_object``, some neither.  This client retries what is
worth retrying (429, 5xx, timeouts, refused connections) with exponential
back-off, streams server-sent events, asks for structured output the way the
server allows and falls back when refused, validates what comes back with one
repair attempt, and records the tokens of every request.  A reply that is
still malformed after the repair raises :class:`ModelOutputError`: callers drop
it with a warning, it is never shown as fact.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from huizhen.errors import ExternalServiceError
from huizhen.llm.config import LLMConfig

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class ModelOutputError(ExternalServiceError):
    """The model's reply could not be read as the structure asked for, even after a repair."""


@dataclass(slots=True)
class Usage:
    """Tokens and time of one request (one HTTP exchange that got an answer, or failed)."""

    purpose: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    attempts: int = 1
    latency_ms: float = 0.0
    status: str = "ok"  # ok | error

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ChatResult:
    text: str
    usage: Usage
    finish_reason: str | None = None


@dataclass(slots=True)
class JSONResult:
    value: Any
    raw: str
    #: True when the first reply was invalid and the repair attempt fixed it.
    repaired: bool = False
    usage: list[Usage] = field(default_factory=list)


def total_usage(records: list[Usage]) -> dict[str, int]:
    """Sum of prompt, completion and total tokens over ``records``."""
    return {k: sum(getattr(u, k) for u in records)
            for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def strip_fences(text: str) -> str:
    """The JSON object in a reply: ```json fences removed, and prose around a single object
    dropped ("Here is the JSON: {...}") — small local models add both even when told not to."""
    m = _FENCE.match(text)
    body = m.group(1) if m else text.strip()
    if not body.startswith("{"):
        start, end = body.find("{"), body.rfind("}")
        if 0 <= start < end:
            return body[start:end + 1]
    return body


class ChatClient:
    """Chat completions against one endpoint.  ``on_usage`` is called after every request
    (for the audit trail); ``usage`` keeps them all for this client's lifetime."""

    def __init__(self, config: LLMConfig, *, transport: httpx.BaseTransport | None = None,
                 on_usage: Callable[[Usage], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._http = httpx.Client(
            base_url=config.base_url, headers=headers, transport=transport,
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout))
        self._on_usage = on_usage
        self._sleep = sleep
        self.usage: list[Usage] = []
        #: Downgraded on the first refusal: "schema" → "object" → "off".
        self.json_mode = config.json_mode

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------
    def _payload(self, messages: list[Message], extra: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.config.model, "messages": messages,
                                "temperature": self.config.temperature}
        if self.config.max_tokens:
            body["max_tokens"] = self.config.max_tokens
        body.update(extra)
        return body

    def _record(self, u: Usage) -> None:
        self.usage.append(u)
        if self._on_usage is not None:
            self._on_usage(u)

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = self.config.backoff * (2 ** attempt)
        if response is not None:
            ra = response.headers.get("retry-after")
            if ra:
                try:
                    delay = float(ra)
                except ValueError:
                    pass
        self._sleep(min(max(delay, 0.0), self.config.max_backoff))

    def _post(self, body: dict[str, Any], purpose: str, *, stream: bool = False
              ) -> tuple[httpx.Response, int, float]:
        """POST with retries; returns the (successful) response, attempts and start time.
        A streamed response is returned open; the caller closes it."""
        started = time.perf_counter()
        last: str = ""
        attempts = 0
        for attempt in range(self.config.max_retries + 1):
            attempts = attempt + 1
            response: httpx.Response | None = None
            try:
                req = self._http.build_request("POST", "/chat/completions", json=body)
                response = self._http.send(req, stream=stream)
            except httpx.TimeoutException:
                last = f"no reply within {self.config.timeout:g} s"
            except httpx.TransportError as err:
                last = f"cannot reach the endpoint ({type(err).__name__})"
            else:
                if response.status_code < 400:
                    return response, attempts, started
                if stream:
                    response.read()
                    response.close()
                last = f"HTTP {response.status_code}: {_error_text(response)}"
                if response.status_code not in RETRY_STATUS:
                    self._fail(purpose, attempts, started)
                    raise EndpointError(last, status=response.status_code,
                                        source=self.config.base_url)
            if attempt < self.config.max_retries:
                self._wait(attempt, response)
        self._fail(purpose, attempts, started)
        raise ExternalServiceError(f"language model failed after {attempts} attempt(s): {last}",
                                   source=self.config.base_url)

    def _fail(self, purpose: str, attempts: int, started: float) -> None:
        self._record(Usage(purpose, self.config.model, attempts=attempts, status="error",
                           latency_ms=round((time.perf_counter() - started) * 1000, 1)))

    # -- public ------------------------------------------------------------------------
    def chat(self, messages: list[Message], *, purpose: str = "chat",
             extra: dict[str, Any] | None = None) -> ChatResult:
        """One completion; raises ExternalServiceError when the endpoint fails."""
        response, attempts, started = self._post(self._payload(messages, extra or {}), purpose)
        try:
            data = response.json()
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            self._fail(purpose, attempts, started)
            raise ModelOutputError("the endpoint's reply is not a chat completion",
                                   source=self.config.base_url,
                                   value=response.text[:200]) from None
        u = _usage(data.get("usage"), purpose, self.config.model, attempts, started)
        self._record(u)
        return ChatResult(text=str(text), usage=u, finish_reason=choice.get("finish_reason"))

    def stream(self, messages: list[Message], *, purpose: str = "chat") -> Iterator[str]:
        """The completion as it is generated (server-sent events), piece by piece.

        Retries happen only before the first byte; usage is recorded when the stream
        ends (servers that honour ``stream_options.include_usage`` report tokens)."""
        body = self._payload(messages, {"stream": True, "stream_options": {"include_usage": True}})
        response, attempts, started = self._post(body, purpose, stream=True)
        usage: dict[str, Any] | None = None
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                chunk = line[5:].strip()
                if chunk == "[DONE]":
                    break
                try:
                    data = json.loads(chunk)
                except ValueError:
                    raise ModelOutputError("malformed server-sent event", value=chunk[:200],
                                           source=self.config.base_url) from None
                usage = data.get("usage") or usage
                for choice in data.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        yield str(piece)
        except httpx.TimeoutException:
            self._fail(purpose, attempts, started)
            raise ExternalServiceError("the stream stalled", source=self.config.base_url) from None
        except httpx.TransportError as err:
            self._fail(purpose, attempts, started)
            raise ExternalServiceError(f"the stream broke off ({type(err).__name__})",
                                       source=self.config.base_url) from None
        finally:
            response.close()
        self._record(_usage(usage, purpose, self.config.model, attempts, started))

    def chat_json(self, messages: list[Message], model: type[T], *, purpose: str = "json",
                  name: str | None = None) -> tuple[T, JSONResult]:
        """A reply validated against the pydantic ``model``.

        Asks for the schema where the server supports it (falls back to json_object,
        then plain text, when the server refuses); parses and validates; on failure asks
        once more, quoting the error; raises ModelOutputError if that fails too."""
        schema = model.model_json_schema()
        name = name or model.__name__
        msgs = list(messages)
        used: list[Usage] = []
        raw = ""
        for attempt in range(2):
            result = self._chat_structured(msgs, schema, name, purpose)
            used.append(result.usage)
            raw = result.text
            try:
                value = model.model_validate_json(strip_fences(raw))
            except ValidationError as err:
                problem = _validation_text(err)
            else:
                return value, JSONResult(value=value.model_dump(), raw=raw, repaired=attempt == 1,
                                         usage=used)
            msgs = [*messages, {"role": "assistant", "content": raw},
                    {"role": "user", "content": (
                        "Your reply is not valid JSON for the required schema: " + problem
                        + ". Reply again with only one JSON object matching this schema, no prose:\n"
                        + json.dumps(schema, ensure_ascii=False))}]
        raise ModelOutputError("the model's reply was not valid JSON for the schema after one "
                               "repair attempt; dropped", field=name, value=raw[:200],
                               source=self.config.base_url)

    def _chat_structured(self, messages: list[Message], schema: dict[str, Any], name: str,
                         purpose: str) -> ChatResult:
        while True:
            if self.json_mode == "schema":
                extra: dict[str, Any] = {"response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": _schema_name(name), "schema": schema, "strict": False}}}
            elif self.json_mode == "object":
                extra = {"response_format": {"type": "json_object"}}
            else:
                extra = {}
            try:
                return self.chat(messages, purpose=purpose, extra=extra)
            except EndpointError as err:
                # A server that does not know response_format answers 400/422: step down once.
                if err.status in (400, 404, 415, 422) and self.json_mode != "off":
                    self.json_mode = "object" if self.json_mode == "schema" else "off"
                    continue
                raise


class EndpointError(ExternalServiceError):
    """The endpoint refused the request (a 4xx other than 429)."""

    def __init__(self, message: str, *, status: int, source: str | None = None) -> None:
        self.status = status
        super().__init__(message, source=source)


def _schema_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "reply"


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
        if isinstance(data, dict):
            err = data.get("error")
            if isinstance(err, dict):
                return str(err.get("message", err))[:200]
            if err:
                return str(err)[:200]
    except ValueError:
        pass
    return response.text[:200] or response.reason_phrase


def _validation_text(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ())) or "(root)"
        parts.append(f"{where}: {e.get('msg', '')}")
    return "; ".join(parts)


def _usage(raw: Any, purpose: str, model: str, attempts: int, started: float) -> Usage:
    raw = raw if isinstance(raw, dict) else {}

    def n(key: str) -> int:
        try:
            return int(raw.get(key) or 0)
        except (TypeError, ValueError):
            return 0

    prompt, completion = n("prompt_tokens"), n("completion_tokens")
    return Usage(purpose, model, prompt, completion, n("total_tokens") or prompt + completion,
                 attempts=attempts, latency_ms=round((time.perf_counter() - started) * 1000, 1))

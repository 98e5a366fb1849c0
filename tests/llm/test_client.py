from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_test_server import FakeLLM, Reply
from pydantic import BaseModel

from huizhen.audit import open_audit_store
from huizhen.errors import ConfigError, ExternalServiceError
from huizhen.llm import (
    ChatClient,
    LLMConfig,
    ModelOutputError,
    load_config,
    make_client,
    total_usage,
)
from huizhen.llm.client import EndpointError
from huizhen.llm.usage import audit_usage


class Pair(BaseModel):
    name: str
    dose_mg: float


_OPEN: list[ChatClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(srv: FakeLLM, **kw: object) -> tuple[ChatClient, list[float]]:
    waits: list[float] = []
    cfg = LLMConfig(base_url=srv.base_url, model="test-model", api_key="sk-test",
                    **kw)  # type: ignore[arg-type]
    client = ChatClient(cfg, sleep=waits.append)
    _OPEN.append(client)
    return client, waits


def test_no_endpoint_means_no_client_and_a_how_to(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_config({}) is None and make_client() is None
    with pytest.raises(ConfigError, match="HUIZHEN_LLM_BASE_URL"):
        from huizhen.llm import require_config
        require_config({})
    with pytest.raises(ConfigError, match="HUIZHEN_LLM_MODEL: is required"):
        load_config({"HUIZHEN_LLM_BASE_URL": "http://127.0.0.1:1/v1"})
    with pytest.raises(ConfigError, match="HUIZHEN_LLM_BASE_URL='ftp://x'"):
        load_config({"HUIZHEN_LLM_BASE_URL": "ftp://x", "HUIZHEN_LLM_MODEL": "m"})
    cfg = load_config({"HUIZHEN_LLM_BASE_URL": "https://api.deepseek.com/v1/", "HUIZHEN_LLM_MODEL": "deepseek-chat",
                       "HUIZHEN_LLM_API_KEY_ENV": "DEEPSEEK_API_KEY", "DEEPSEEK_API_KEY": "sk-1",
                       "HUIZHEN_LLM_JSON": "object", "HUIZHEN_LLM_TIMEOUT": "30"})
    assert cfg is not None and cfg.describe() == {
        "base_url": "https://api.deepseek.com/v1", "model": "deepseek-chat", "api_key_env": "DEEPSEEK_API_KEY",
        "api_key_set": True, "timeout": 30.0, "max_retries": 2, "json_mode": "object"}
    assert cfg.api_key == "sk-1"
    with pytest.raises(ConfigError, match="HUIZHEN_LLM_TIMEOUT='soon'"):
        load_config({"HUIZHEN_LLM_BASE_URL": "http://h/v1", "HUIZHEN_LLM_MODEL": "m", "HUIZHEN_LLM_TIMEOUT": "soon"})


def test_chat_sends_model_key_and_messages_and_records_usage(server: FakeLLM) -> None:
    server.push("Hello.")
    seen: list[object] = []
    client = ChatClient(LLMConfig(base_url=server.base_url, model="test-model", api_key="sk-test"),
                        on_usage=seen.append)
    with client:
        result = client.chat([{"role": "user", "content": "hi"}], purpose="ask")
    assert result.text == "Hello." and result.finish_reason == "stop"
    assert server.requests == [{"model": "test-model", "messages": [{"role": "user", "content": "hi"}],
                                "temperature": 0.0}]
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    u = result.usage.to_dict()
    assert {k: u[k] for k in ("purpose", "model", "prompt_tokens", "completion_tokens", "total_tokens",
                              "attempts", "status")} == {
        "purpose": "ask", "model": "test-model", "prompt_tokens": 11, "completion_tokens": 7,
        "total_tokens": 18, "attempts": 1, "status": "ok"}
    assert seen == [result.usage] and total_usage(client.usage) == {
        "prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def test_429_and_500_are_retried_with_backoff_and_retry_after(server: FakeLLM) -> None:
    server.push(Reply("slow down", status=429, headers={"Retry-After": "3"}),
                Reply("boom", status=500), "ok after retries")
    client, waits = _client(server, max_retries=2, backoff=0.25)
    assert client.chat([{"role": "user", "content": "x"}]).text == "ok after retries"
    assert waits == [3.0, 0.5] and client.usage[-1].attempts == 3 and len(server.requests) == 3


def test_retries_exhausted_raise_and_are_recorded(server: FakeLLM) -> None:
    server.push(*(Reply("overloaded", status=503) for _ in range(3)))
    client, waits = _client(server, max_retries=2, backoff=0.1)
    with pytest.raises(ExternalServiceError, match=r"failed after 3 attempt\(s\): HTTP 503: overloaded"):
        client.chat([{"role": "user", "content": "x"}])
    assert waits == [0.1, 0.2] and client.usage[-1].status == "error"


def test_a_refusal_is_not_retried(server: FakeLLM) -> None:
    server.push(Reply("invalid api key", status=401))
    client, waits = _client(server)
    with pytest.raises(EndpointError, match="HTTP 401: invalid api key"):
        client.chat([{"role": "user", "content": "x"}])
    assert waits == [] and len(server.requests) == 1


def test_timeout_is_retried_then_reported(server: FakeLLM) -> None:
    server.push(Reply("late", delay=0.6), "on time")
    client, _waits = _client(server, timeout=0.3, max_retries=1, backoff=0.0)
    assert client.chat([{"role": "user", "content": "x"}]).text == "on time"
    server.push(Reply("late", delay=0.6), Reply("late", delay=0.6))
    with pytest.raises(ExternalServiceError, match=r"no reply within 0.3 s"):
        client.chat([{"role": "user", "content": "x"}])


def test_unreachable_endpoint_is_an_external_service_error() -> None:
    client = ChatClient(LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", max_retries=1,
                                  connect_timeout=0.5), sleep=lambda s: None)
    _OPEN.append(client)
    with pytest.raises(ExternalServiceError, match="cannot reach the endpoint"):
        client.chat([{"role": "user", "content": "x"}])


def test_streaming_yields_pieces_and_records_usage(server: FakeLLM) -> None:
    server.push(Reply(stream=["Gout ", "is ", "painful."], usage={"prompt_tokens": 5, "completion_tokens": 3,
                                                                 "total_tokens": 8}))
    client, _ = _client(server)
    assert list(client.stream([{"role": "user", "content": "x"}], purpose="ask")) == ["Gout ", "is ", "painful."]
    assert server.requests[0]["stream"] is True
    assert server.requests[0]["stream_options"] == {"include_usage": True}
    assert client.usage[-1].total_tokens == 8 and client.usage[-1].purpose == "ask"


def test_json_schema_requested_and_validated(server: FakeLLM) -> None:
    server.push('{"name": "warfarin", "dose_mg": 5}')
    client, _ = _client(server)
    value, res = client.chat_json([{"role": "user", "content": "x"}], Pair)
    assert value == Pair(name="warfarin", dose_mg=5) and not res.repaired
    rf = server.requests[0]["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["name"] == "Pair"
    assert rf["json_schema"]["schema"]["required"] == ["name", "dose_mg"]


def test_malformed_json_gets_one_repair_attempt(server: FakeLLM) -> None:
    server.push('{"name": "warfarin", "dose_mg": "five"', '```json\n{"name": "warfarin", "dose_mg": 5}\n```')
    client, _ = _client(server)
    value, res = client.chat_json([{"role": "user", "content": "x"}], Pair)
    assert value.dose_mg == 5 and res.repaired and len(res.usage) == 2
    repair = server.requests[1]["messages"]
    assert repair[1] == {"role": "assistant", "content": '{"name": "warfarin", "dose_mg": "five"'}
    assert repair[2]["content"].startswith("Your reply is not valid JSON for the required schema: ")


def test_prose_around_the_json_object_is_dropped_without_a_repair(server: FakeLLM) -> None:
    server.push('Here is the JSON you asked for:\n{"name": "metformin", "dose_mg": 500}\nHope this helps!')
    client, _ = _client(server)
    value, res = client.chat_json([{"role": "user", "content": "x"}], Pair)
    assert value == Pair(name="metformin", dose_mg=500) and not res.repaired and len(server.requests) == 1


def test_still_malformed_after_repair_is_dropped(server: FakeLLM) -> None:
    server.push("Sure! The dose is five.", '{"name": "warfarin"}')
    client, _ = _client(server)
    with pytest.raises(ModelOutputError, match="after one repair attempt; dropped"):
        client.chat_json([{"role": "user", "content": "x"}], Pair)


def test_server_without_json_schema_falls_back_to_json_object_then_plain(server: FakeLLM) -> None:
    def responder(body: dict) -> Reply:  # type: ignore[type-arg]
        rf = body.get("response_format")
        if rf is not None:
            return Reply(f"response_format {rf['type']} is not supported", status=400)
        return Reply('{"name": "aspirin", "dose_mg": 75}')

    server.responder = responder
    client, _ = _client(server)
    value, _res = client.chat_json([{"role": "user", "content": "x"}], Pair)
    assert value.name == "aspirin" and client.json_mode == "off"
    assert [r.get("response_format", {}).get("type") for r in server.requests] == [
        "json_schema", "json_object", None]


def test_reply_that_is_not_a_completion(server: FakeLLM) -> None:
    server.push(Reply(body={"unexpected": True}))
    client, _ = _client(server)
    with pytest.raises(ModelOutputError, match="not a chat completion"):
        client.chat([{"role": "user", "content": "x"}])


def test_usage_goes_to_the_audit_trail(server: FakeLLM, tmp_path: Path) -> None:
    store = open_audit_store(tmp_path / "audit.db")
    try:
        server.push("one", "two")
        client = ChatClient(LLMConfig(base_url=server.base_url, model="test-model"),
                            on_usage=audit_usage(store, tenant="hosp-a", actor="dr-li",
                                                 request={"question": "gout?"}))
        _OPEN.append(client)
        client.chat([{"role": "user", "content": "a"}], purpose="ask-kb")
        client.chat([{"role": "user", "content": "b"}], purpose="ask-kb")
        events = store.events("hosp-a", action="llm.request")
        assert len(events) == 2
        d = events[0].to_dict()
        assert d["service"] == "llm:ask-kb" and d["actor"] == "dr-li"
        assert d["knowledge"]["llm_model"] == "test-model"
        assert d["knowledge"]["usage"]["total_tokens"] == 18
        assert d["input_hash"].startswith("sha256:") and "gout" not in json.dumps(d)
    finally:
        store.close()

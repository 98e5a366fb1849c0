"""Where the optional language model lives: read from the environment, never guessed.

Why environment variables: a hospital points huizhen at its own endpoint
(DeepSeek, Hunyuan, a vLLM or Ollama server on the ward network) without
editing files, and the API key itself never sits in a config file — only the
*name* of the variable that holds it.  Nothing here opens a connection: with
no ``HUIZHEN_LLM_BASE_URL`` there is no client and no network call at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from huizhen.errors import ConfigError

ENV_BASE_URL = "HUIZHEN_LLM_BASE_URL"
ENV_MODEL = "HUIZHEN_LLM_MODEL"
ENV_KEY_ENV = "HUIZHEN_LLM_API_KEY_ENV"
DEFAULT_KEY_ENV = "HUIZHEN_LLM_API_KEY"
ENV_TIMEOUT = "HUIZHEN_LLM_TIMEOUT"
ENV_RETRIES = "HUIZHEN_LLM_MAX_RETRIES"
ENV_JSON = "HUIZHEN_LLM_JSON"
JSON_MODES = ("schema", "object", "off")

HOW_TO_CONFIGURE = (
    "no language model is configured: set HUIZHEN_LLM_BASE_URL (an OpenAI-compatible endpoint, "
    "e.g. https://api.deepseek.com/v1 or http://127.0.0.1:11434/v1 for Ollama) and "
    "HUIZHEN_LLM_MODEL (e.g. deepseek-chat), and put the API key in HUIZHEN_LLM_API_KEY "
    "(or name another variable in HUIZHEN_LLM_API_KEY_ENV); everything else works without one"
)


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """One OpenAI-compatible chat-completions endpoint."""

    base_url: str
    model: str
    api_key: str | None = None
    #: Name of the environment variable the key was read from (shown, the key never is).
    api_key_env: str = DEFAULT_KEY_ENV
    #: Seconds to wait for a reply (read timeout); connecting gets ``connect_timeout``.
    timeout: float = 60.0
    connect_timeout: float = 5.0
    #: Retries after the first try, on 429, 5xx, timeouts and refused connections.
    max_retries: int = 2
    #: First back-off in seconds; doubled after each retry, or ``Retry-After`` when sent.
    backoff: float = 0.5
    #: Longest wait honoured from a ``Retry-After`` header.
    max_backoff: float = 20.0
    #: Structured output: "schema" (json_schema, falls back when refused), "object"
    #: (json_object mode, e.g. DeepSeek) or "off" (plain text, validated parsing).
    json_mode: str = "schema"
    temperature: float = 0.0
    max_tokens: int | None = None

    def describe(self) -> dict[str, object]:
        """What ``huizhen llm-status`` shows: everything but the key itself."""
        return {"base_url": self.base_url, "model": self.model, "api_key_env": self.api_key_env,
                "api_key_set": bool(self.api_key), "timeout": self.timeout,
                "max_retries": self.max_retries, "json_mode": self.json_mode}


def _number(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError("must be a number", field=name, value=raw) from None
    if not lo <= value <= hi:
        raise ConfigError(f"must be between {lo:g} and {hi:g}", field=name, value=raw)
    return value


def load_config(env: Mapping[str, str] | None = None) -> LLMConfig | None:
    """The configured endpoint, or None when ``HUIZHEN_LLM_BASE_URL`` is unset."""
    env = os.environ if env is None else env
    base = (env.get(ENV_BASE_URL) or "").strip()
    if not base:
        return None
    if not base.startswith(("http://", "https://")):
        raise ConfigError("must be an http:// or https:// URL", field=ENV_BASE_URL, value=base)
    model = (env.get(ENV_MODEL) or "").strip()
    if not model:
        raise ConfigError("is required when HUIZHEN_LLM_BASE_URL is set (e.g. deepseek-chat, "
                          "qwen2.5:7b-instruct)", field=ENV_MODEL)
    key_env = (env.get(ENV_KEY_ENV) or DEFAULT_KEY_ENV).strip()
    json_mode = (env.get(ENV_JSON) or "schema").strip().lower()
    if json_mode not in JSON_MODES:
        raise ConfigError(f"must be one of {', '.join(JSON_MODES)}", field=ENV_JSON, value=json_mode)
    return LLMConfig(
        base_url=base.rstrip("/"), model=model, api_key=env.get(key_env) or None,
        api_key_env=key_env, timeout=_number(env, ENV_TIMEOUT, 60.0, 0.1, 3600.0),
        max_retries=int(_number(env, ENV_RETRIES, 2, 0, 10)), json_mode=json_mode,
    )


def require_config(env: Mapping[str, str] | None = None) -> LLMConfig:
    """The configured endpoint, or a ConfigError that says how to configure one."""
    cfg = load_config(env)
    if cfg is None:
        raise ConfigError(HOW_TO_CONFIGURE)
    return cfg

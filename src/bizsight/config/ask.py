"""``ask:`` in bizsight.yml: an optional model that reads questions (docs/ask.md, decision 0047).

Without ``provider`` the offline parser reads every question. With one, the model is asked first
for the query object only; the offline parser answers whenever it is slow, failing or wrong.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

KEY_ENV = "BIZSIGHT_ASK_KEY"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelProvider(_Strict):
    """An OpenAI-compatible chat-completions API (a hosted one, or vLLM, llama.cpp, Ollama ...)."""

    url: str = Field(
        description="the API's base URL; bizsight posts to <url>/chat/completions (e.g. https://api.openai.com/v1)",
        pattern=r"^https?://",
    )
    model: str = Field(min_length=1, description="the model's name, as the API knows it")
    key: SecretStr | None = Field(
        default=SecretStr(f"env:{KEY_ENV}"),
        description=f"the API key, or env:NAME to read it from that variable (default env:{KEY_ENV}); never logged",
    )
    timeout: float = Field(
        default=5.0, gt=0, le=60, description="seconds to wait before the offline parser answers"
    )


class AskSettings(_Strict):
    provider: ModelProvider | None = Field(
        default=None, description="a model that reads questions (optional)"
    )

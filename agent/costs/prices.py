"""The LLM price table: dollars per million tokens, per model, from a file the user keeps.

``$LONGCUT_PRICES`` names the file, else ``$LONGCUT_HOME/prices.json``;
without one every model costs nothing (a local server: vLLM, Ollama,
llama.cpp). The file maps a model name (``--llm-model``) to its prices::

    {"gpt-4o-mini": {"prompt_per_million": 0.15, "completion_per_million": 0.60}}

A model the table does not name costs nothing. A damaged file is a clear
error naming it, never a silent zero.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from longcut.agent.costs.record import LLMUsage
from longcut.errors import InputError

MAX_PRICE_FILE_BYTES = 1 << 20


class Price(BaseModel):
    """What one model's tokens cost."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt_per_million: float = Field(0.0, ge=0.0)
    completion_per_million: float = Field(0.0, ge=0.0)

    def usd(self, usage: LLMUsage) -> float:
        """Dollars for ``usage``."""
        return (usage.prompt_tokens * self.prompt_per_million
                + usage.completion_tokens * self.completion_per_million) / 1e6


class PriceTable(RootModel[dict[str, Price]]):
    """Model name -> ``Price``."""

    def price(self, model: str | None) -> Price:
        """The price of ``model``'s tokens; zero for a model not in the table (or no LLM)."""
        return self.root.get(model or "", Price())


def price_file() -> Path:
    """Where the price table is read from."""
    from longcut.agent.store import longcut_home

    named = os.environ.get("LONGCUT_PRICES")
    return Path(named).expanduser() if named else longcut_home() / "prices.json"


def load_prices(path: Path | None = None) -> PriceTable:
    """The price table at ``path`` (default ``price_file()``); an empty one when there is no file."""
    path = path if path is not None else price_file()
    if not path.is_file():
        return PriceTable({})
    if path.stat().st_size > MAX_PRICE_FILE_BYTES:
        raise InputError(f"price table {str(path)!r} is over {MAX_PRICE_FILE_BYTES} bytes")
    try:
        return PriceTable.model_validate_json(path.read_bytes())
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise InputError(f"price table {str(path)!r} is not valid at {where}: {first['msg']} "
                         '(expected {"MODEL": {"prompt_per_million": 0.15, "completion_per_million": 0.6}})') from err

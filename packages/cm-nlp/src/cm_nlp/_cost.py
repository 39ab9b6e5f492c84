"""What a volume of characters costs per provider, from a price table kept as data with its date."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cm_common import InputError, load_yaml, parse_yaml

Period = Literal["day", "month"]
DAYS_PER_MONTH = 30


class Price(BaseModel):
    """One provider's price: per million characters (None: no paid tier) and its free tier."""

    model_config = ConfigDict(extra="forbid")

    per_million: float | None = Field(ge=0)
    free_chars: int | None = Field(default=0, ge=0, description="None: free without limit")
    free_per: Period = "month"
    source: str = ""


class PriceTable(BaseModel):
    """The price table: when it was taken, the currency, a price per provider."""

    model_config = ConfigDict(extra="forbid")

    date: str
    currency: str = "USD"
    providers: dict[str, Price]


def load_prices(path: Path | None = None) -> PriceTable:
    """The table shipped with cm-nlp, or one of the same layout from ``path``."""
    if path is None:
        data: Any = parse_yaml(files("cm_nlp").joinpath("prices.yaml").read_text("utf-8"), "prices.yaml")
    else:
        data = load_yaml(path)
    try:
        return PriceTable.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise InputError(f"{path or 'prices.yaml'}: field {field}: {problem['msg']}") from None


def _free_in(price: Price, per: Period) -> float | None:
    if price.free_chars is None:
        return None
    if price.free_per == per:
        return float(price.free_chars)
    return price.free_chars * DAYS_PER_MONTH if per == "month" else price.free_chars / DAYS_PER_MONTH


def cost_table(chars: int, per: Period = "month", table: PriceTable | None = None) -> list[dict[str, Any]]:
    """One record per provider: free and billable characters and the cost of ``chars`` per ``per``."""
    if chars < 0:
        raise InputError(f"--chars: expected a count >= 0, got {chars}")
    prices = table or load_prices()
    rows = []
    for name, price in sorted(prices.providers.items()):
        free = _free_in(price, per)
        billable = 0.0 if free is None else max(0.0, chars - free)
        cost = None if price.per_million is None and billable else billable * (price.per_million or 0) / 1e6
        rows.append(
            {
                "provider": name,
                "chars": chars,
                "per": per,
                "free": "unlimited" if free is None else round(free),
                "billable": round(billable),
                "cost": None if cost is None else round(cost, 2),
                "currency": prices.currency,
                "note": "over the free tier, no paid tier listed" if cost is None else "",
                "prices_of": prices.date,
            }
        )
    return rows

"""Where a cost command's prices come from: the bundled table (public list prices, each row with its region and
date) or the user's own CSV (`--prices FILE`, or `KAITO_PRICES` for a session: negotiated or reserved prices),
whose rows replace the bundled ones for the sizes they list. A size with no price stays without one.

The CSV's columns (a header row names them; the bundled table's own file has these and more):
instance_type, price_ondemand_usd_per_hr (both required), price_spot_usd_per_hr_min, price_spot_usd_per_hr_max,
cloud, region, as_of, source."""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.catalog.types import Price
from kaito_shell.errors import ValidationError
from kaito_shell.source import Source, Span

REQUIRED = ("instance_type", "price_ondemand_usd_per_hr")
OPTIONAL = ("price_spot_usd_per_hr_min", "price_spot_usd_per_hr_max", "cloud", "region", "as_of", "source")
ENV = "KAITO_PRICES"


class Override(NamedTuple):
    """A user's price table: instance type (lower case) → its price, and the sizes it names that KAITO has not."""

    prices: dict[str, Price]
    unknown: list[str]
    origin: str


def parse(text: str, origin: str, as_of: str) -> dict[str, Price]:
    """The rows of a price CSV; a bad header or cell is refused at FILE:LINE:COL with the fix. `as_of` is the date
    a row without one gets (the file's own)."""
    source = Source(text, origin, is_file=True)
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValidationError(f"{origin} is empty", hint=f"its first line names the columns: {', '.join(REQUIRED)}, …")
    header = [name.strip() for name in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValidationError(f"{origin}: no column {' or '.join(missing)}",
                              hint=f"the header names the columns: {', '.join(REQUIRED + OPTIONAL)}"
                              ).at(source, Span(0, len(lines[0].rstrip("\r\n")) if lines else 0))
    found: dict[str, Price] = {}
    for number, row in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        cells = _Row({name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}, source,
                     starts[number], lines[number] if number < len(lines) else "", origin)
        if not cells.text("instance_type"):
            raise cells.problem("instance_type", "instance_type is empty",
                                "the VM size, e.g. Standard_NC24ads_A100_v4")
        on_demand = cells.number("price_ondemand_usd_per_hr", True)
        low, high = cells.number("price_spot_usd_per_hr_min", False), cells.number("price_spot_usd_per_hr_max", False)
        if low is not None and high is not None and low > high:
            raise cells.problem("price_spot_usd_per_hr_min", f"spot min {low:g} is above spot max {high:g}",
                                "swap them, or give one value in both")
        assert on_demand is not None
        found[cells.text("instance_type").lower()] = Price(
            cells.text("cloud"), cells.text("region") or "your prices", on_demand,
            low if low is not None else high, high if high is not None else low,
            cells.text("as_of") or as_of, cells.text("source") or origin)
    return found


class _Row(NamedTuple):
    """One data row of a price CSV, able to point at its own cells."""

    cells: dict[str, str]
    source: Source
    start: int  # where its line starts in the file
    line: str
    origin: str

    def text(self, column: str) -> str:
        return self.cells.get(column, "")

    def problem(self, column: str, message: str, hint: str) -> ValidationError:
        cell = self.text(column)
        at = self.start + max(self.line.find(cell) if cell else 0, 0)
        return ValidationError(f"{self.origin}: {message}", hint=hint).at(self.source, Span(at, at + max(len(cell), 1)))

    def number(self, column: str, required: bool) -> float | None:
        value = self.text(column)
        if not value:
            if required:
                raise self.problem(column, f"{column} is empty", "give the price in USD per hour, e.g. 3.67")
            return None
        try:
            amount = float(value)
        except ValueError:
            raise self.problem(column, f"{column} '{value}' is not a number",
                               "USD per hour as a plain number, e.g. 3.67 (no $ sign)") from None
        if amount < 0:
            raise self.problem(column, f"{column} {value} is negative", "a price is 0 or more")
        return amount


def load(path: str, shown: str) -> dict[str, Price]:
    """`parse` of a file, dated by its modification time where a row has no as_of."""
    import datetime
    import os

    try:
        with open(path, encoding="utf-8-sig") as handle:  # a spreadsheet's CSV may start with a BOM
            text = handle.read()
        modified = datetime.datetime.fromtimestamp(os.stat(path).st_mtime, datetime.timezone.utc)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read the price table {shown}: {getattr(exc, 'strerror', None) or exc}",
                              flag="prices", hint=f"a CSV with the columns {', '.join(REQUIRED)}, …") from None
    return parse(text, shown, f"{modified:%Y-%m-%d} (the file's date)")


def applied(catalog: Catalog, prices: dict[str, Price], origin: str) -> tuple[Catalog, Override]:
    """The catalog with the user's prices in place of the bundled ones for the sizes they list."""
    known = {sku.instance_type.lower() for sku in catalog.skus}
    skus = []
    for sku in catalog.skus:
        price = prices.get(sku.instance_type.lower())
        if price is not None:
            price = price._replace(cloud=price.cloud or sku.cloud)
        skus.append(sku._replace(price=price) if price is not None else sku)
    unknown = sorted(name for name in prices if name not in known)
    return Catalog(catalog.data._replace(skus=tuple(skus))), Override(prices, unknown, origin)

"""Column-mapping presets: how well-known export layouts map onto the canonical model.

A preset maps canonical columns to source columns, and may derive a canonical column with SQL of
ours over the source columns (``:Name`` placeholders stand for source columns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bizsight.config import DateOrder


@dataclass(frozen=True)
class Preset:
    name: str
    entity: str | None  # None: any entity, columns matched by name
    columns: dict[str, str] = field(default_factory=dict)  # canonical → source column
    derived: dict[str, str] = field(default_factory=dict)  # canonical → SQL template
    description: str = ""
    date_order: DateOrder = DateOrder.AUTO  # a layout that always writes dates one way says so

    @property
    def signature(self) -> frozenset[str]:
        """Source columns whose presence identifies the layout."""
        return frozenset(self.columns.values())


DEFAULT = Preset(
    name="default",
    entity=None,
    description="the canonical layout of docs/data-model.md; headers matched ignoring case, "
    'spaces and camelCase ("Order ID", "orderId" → order_id)',
)

UCI_ONLINE_RETAIL = Preset(
    name="uci_online_retail",
    entity="order_lines",
    columns={
        "order_id": "InvoiceNo",
        "product_id": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "order_date": "InvoiceDate",
        "unit_price": "UnitPrice",
        "customer_id": "CustomerID",
        "country": "Country",
    },
    # Invoice numbers starting with C are cancellations booked as negative quantities.
    derived={"status": "CASE WHEN starts_with(trim(:InvoiceNo), 'C') THEN 'refunded' ELSE 'completed' END"},
    description="UCI Online Retail export (InvoiceNo, StockCode, Description, Quantity, "
    "InvoiceDate, UnitPrice, CustomerID, Country)",
    date_order=DateOrder.MDY,
)

UCI_ONLINE_RETAIL_II = Preset(
    name="uci_online_retail_ii",
    entity="order_lines",
    columns={
        "order_id": "Invoice",
        "product_id": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "order_date": "InvoiceDate",
        "unit_price": "Price",
        "customer_id": "Customer ID",
        "country": "Country",
    },
    derived={"status": "CASE WHEN starts_with(trim(:Invoice), 'C') THEN 'refunded' ELSE 'completed' END"},
    description="UCI Online Retail II export (Invoice, StockCode, Description, Quantity, "
    "InvoiceDate, Price, Customer ID, Country)",
    date_order=DateOrder.MDY,
)

PRESETS = {preset.name: preset for preset in (DEFAULT, UCI_ONLINE_RETAIL, UCI_ONLINE_RETAIL_II)}


def normalize_header(name: str) -> str:
    """The canonical spelling a header most likely means.

    >>> [normalize_header(h) for h in ["Order ID", "orderDate", " unit-price ", "CustomerID"]]
    ['order_id', 'order_date', 'unit_price', 'customer_id']
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    spaced = re.sub(r"(?<=[a-z])ID\b", "_id", spaced)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def detect_preset(headers: list[str]) -> Preset:
    """The preset whose signature the headers contain, else the default layout."""
    present = set(headers)
    for preset in PRESETS.values():
        if preset.signature and preset.signature <= present:
            return preset
    return DEFAULT

"""A model as another reader of questions (decision 0047): an OpenAI-compatible chat-completions
API asked for the query object only, under a JSON schema, given the catalogue's names, labels and
descriptions and today's date.

Its answer is only a proposal: it must parse as a :class:`~bizsight.metrics.query.Query` (no
other key, so no SQL), name only the catalogue's metrics and dimensions, filter only on members
the warehouse has (where they are known), and be splittable as asked; it then runs like any
query, with the user's row-level restrictions. Absent, slow (``timeout``), failing, declining or
wrong, the offline parser answers instead, and the answer says which reader it came from. The API
key is sent in the Authorization header and nowhere else: never logged, never in an error.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bizsight.config.ask import ModelProvider
from bizsight.delivery.secrets import Secret
from bizsight.errors import BizsightError
from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import Query
from bizsight.metrics.question_replies import incompatible, interpretation
from bizsight.metrics.questions import Reading

LOG = logging.getLogger("bizsight.ask")
MODEL_CONFIDENCE = 0.8  # a valid answer of a model: checked, but not read by rules we can show


class ProviderFailed(Exception):
    """Why the model's answer was not used (said in the answer's producer and the log)."""


def query_schema(catalogue: Catalogue) -> dict[str, Any]:
    """The JSON schema the model answers under: a query object whose names are the catalogue's,
    or null to decline."""
    names = {"type": "array", "items": {"type": "string"}}
    dims = {**names, "items": {"type": "string", "enum": sorted(catalogue.dimensions)}}
    query = {
        "type": "object",
        "additionalProperties": False,
        "required": ["metrics"],
        "properties": {
            "metrics": {
                **names,
                "items": {"type": "string", "enum": sorted(catalogue.metrics)},
                "minItems": 1,
            },
            "dimensions": dims,
            "grain": {"type": ["string", "null"], "enum": ["day", "week", "month", "quarter", "year", None]},
            "start": {"type": ["string", "null"], "format": "date"},
            "end": {"type": ["string", "null"], "format": "date"},
            "filters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["dimension", "op", "values"],
                    "properties": {
                        "dimension": {"type": "string", "enum": sorted(catalogue.dimensions)},
                        "op": {"type": "string", "enum": ["=", "!=", "in", "not_in"]},
                        "values": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    },
                },
            },
            "compare": {"type": ["string", "null"], "enum": ["previous_period", "previous_year", None]},
            "order_by": {**names, "description": "a metric or dimension name; prefix - for descending"},
            "limit": {"type": ["integer", "null"], "minimum": 1},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["query"],
        "properties": {"query": {"anyOf": [query, {"type": "null"}]}},
    }


def prompt(catalogue: Catalogue, question: str, today: dt.date) -> list[dict[str, str]]:
    metrics = "\n".join(
        f"- {name}: {m.label}" + (f" — {m.description}" if m.description else "")
        for name, m in catalogue.metrics.items()
    )
    dimensions = "\n".join(f"- {name}: {d.label}" for name, d in catalogue.dimensions.items())
    system = (
        "You turn a business question into a query object of a metrics layer, as JSON under the "
        "given schema, and nothing else. Never write SQL. Use only these names.\n"
        f"Metrics:\n{metrics}\nDimensions:\n{dimensions}\n"
        f"Today is {today.isoformat()}. Resolve every period the question names to inclusive "
        'start and end dates (YYYY-MM-DD). Answer {"query": null} when the question cannot be '
        "answered with these metrics and dimensions."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def ask_model(
    provider: ModelProvider,
    catalogue: Catalogue,
    members: Mapping[str, tuple[str, ...]],
    question: str,
    today: dt.date,
) -> Query | None:
    """The model's query for ``question``, checked; None when the model declines."""
    body = {
        "model": provider.model,
        "temperature": 0,
        "messages": prompt(catalogue, question, today),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "query", "strict": True, "schema": query_schema(catalogue)},
        },
    }
    headers = {"Content-Type": "application/json"}
    key = _key(provider)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        provider.url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=provider.timeout) as response:
            answer = json.loads(response.read())
        content = answer["choices"][0]["message"]["content"]
        proposed = json.loads(content)["query"]
    except TimeoutError:
        raise ProviderFailed(f"no answer within {provider.timeout:g} s") from None
    except urllib.error.HTTPError as err:
        raise ProviderFailed(f"HTTP {err.code}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ProviderFailed("timed out" if isinstance(reason, TimeoutError) else "unreachable") from None
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderFailed("an answer that is not the query object asked for") from None
    if proposed is None:
        return None
    return checked(catalogue, members, proposed)


def _key(provider: ModelProvider) -> str | None:
    if provider.key is None:
        return None
    value = provider.key.get_secret_value()
    try:
        return Secret(value).reveal()
    except BizsightError:
        return None  # env:NAME unset: a local model may need no key


def checked(catalogue: Catalogue, members: Mapping[str, tuple[str, ...]], proposed: Any) -> Query:
    """``proposed`` as a query, when every name is the catalogue's and every filter value a
    member the warehouse has (where members are known); else :class:`ProviderFailed`."""
    if not isinstance(proposed, dict) or "range" in proposed:
        raise ProviderFailed("an answer that is not the query object asked for")
    try:
        query = Query.model_validate(proposed)
    except ValidationError as err:
        raise ProviderFailed(f"an invalid query ({err.errors()[0]['msg']})") from None
    for name in query.metrics:
        if name not in catalogue.metrics:
            raise ProviderFailed(f"an unknown metric {name!r}")
    for name in [*query.dimensions, *(f.dimension for f in query.filters)]:
        if name not in catalogue.dimensions:
            raise ProviderFailed(f"an unknown dimension {name!r}")
    for f in query.filters:
        known = members.get(f.dimension)
        if f.op not in ("=", "!=", "in", "not_in") or (known and not set(map(str, f.values)) <= set(known)):
            raise ProviderFailed(f"a filter on {f.dimension} with values the data do not have")
    columns = {*query.metrics, *query.dimensions}
    for spec in query.order_by:
        if spec.removeprefix("-") not in columns:
            raise ProviderFailed(f"an order by {spec!r}, not a column of the answer")
    problem = incompatible(
        catalogue, list(query.metrics), [*query.dimensions, *(f.dimension for f in query.filters)]
    )
    if problem:
        raise ProviderFailed(problem)
    return query


def model_reading(
    provider: ModelProvider | None,
    catalogue: Catalogue,
    members: Mapping[str, tuple[str, ...]],
    question: str,
    today: dt.date,
) -> tuple[Reading | None, str | None]:
    """The model's reading, or (None, why it was not used); (None, None) without a provider."""
    if provider is None:
        return None, None
    name = f"model {provider.model}"
    try:
        query = ask_model(provider, catalogue, members, question, today)
    except ProviderFailed as why:
        LOG.warning("the %s was not used for a question: %s", name, why)
        return None, f"{name}: {why}"
    if query is None:
        return None, f"{name}: declined"
    return Reading(query, interpretation(catalogue, query), MODEL_CONFIDENCE, (), question), name

"""Channel kinds by name: the built-in ones, and those other packages add through the
``bizsight.delivery_channels`` entry-point group (docs/decisions/0037)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from bizsight.errors import ConfigError, did_you_mean

from .chat import SlackChannel, TeamsChannel
from .message import Channel
from .smtp import SmtpChannel
from .webhook import WebhookChannel

log = logging.getLogger("bizsight.delivery")

ENTRY_POINT_GROUP = "bizsight.delivery_channels"

# A channel kind is anything called with the channel's settings as keywords that returns a
# Channel: a pydantic model class, a dataclass, a function.
ChannelFactory = Callable[..., Channel]

BUILTIN: dict[str, ChannelFactory] = {
    "email": SmtpChannel,
    "webhook": WebhookChannel,
    "slack": SlackChannel,
    "teams": TeamsChannel,
}


def channel_kinds() -> dict[str, ChannelFactory]:
    """Every channel kind: the built-in ones, then those of installed plugins. A plugin cannot
    replace a built-in kind (it is skipped with a warning), and one that fails to load is
    skipped with a warning rather than stopping every delivery.

    >>> sorted(channel_kinds())[:4]
    ['email', 'slack', 'teams', 'webhook']
    """
    kinds = dict(BUILTIN)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in kinds:
            log.warning("delivery channel plugin %s (%s) skipped: the name is taken", point.name, point.value)
            continue
        try:
            kinds[point.name] = point.load()
        except Exception as error:  # a broken plugin must not stop the others
            log.warning("delivery channel plugin %s (%s) failed to load: %s", point.name, point.value, error)
    return kinds


def build_channel(kind: str, settings: Mapping[str, Any]) -> Channel:
    """The channel of ``kind`` configured with ``settings`` (as read from a YAML file).

    >>> build_channel("slack", {"url": "env:SLACK_WEBHOOK_URL"}).name
    'slack'
    >>> build_channel("sms", {})
    Traceback (most recent call last):
    ...
    bizsight.errors.ConfigError: no delivery channel kind 'sms'; the kinds are email, slack, teams, webhook
    >>> build_channel("email", {"host": "smtp.example.com"})
    Traceback (most recent call last):
    ...
    bizsight.errors.ConfigError: email channel: sender: Field required
    """
    kinds = channel_kinds()
    factory = kinds.get(kind)
    if factory is None:
        raise ConfigError(
            f"no delivery channel kind {kind!r}{did_you_mean(kind, kinds)}; the kinds are {', '.join(sorted(kinds))}"
        )
    try:
        channel = factory(**settings)
    except ValidationError as error:
        # pydantic's own message would repeat the input, secrets included: only locations and reasons
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"{kind} channel: {reasons}") from None
    except TypeError as error:
        raise ConfigError(f"{kind} channel: {error}") from None
    if not isinstance(channel, Channel):
        raise ConfigError(f"the {kind} channel kind does not make a channel (no name or send)")
    return channel

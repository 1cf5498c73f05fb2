"""Finding host names in configuration text: URLs, ``host:port`` and Kubernetes service DNS."""

from __future__ import annotations

import re

__all__ = ["hosts_in"]

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s]*@)?([A-Za-z0-9][A-Za-z0-9.-]*)")
_HOST_PORT = re.compile(r"(?<![\w./@-])([A-Za-z0-9][A-Za-z0-9.-]*):\d{1,5}(?![\d.])")
_SVC_DNS = re.compile(r"(?<![\w.-])([a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*\.svc(?:\.cluster\.local)?)(?![\w-])")
_BARE_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")


def hosts_in(text: object, *, whole_value: bool = True) -> list[str]:
    """Host names a configuration value refers to, lower-cased, in order of appearance.

    A host is found in a URL (``http://cart:8080/x`` -> ``cart``), before a port
    (``redis-cart:6379``), as Kubernetes service DNS (``db.shop.svc.cluster.local``) or, when
    ``whole_value`` is true, as the whole value (``DB_HOST=db``). The caller decides which
    hosts name known services; anything else (external hosts, numbers) is simply not matched.

    Examples
    --------
    >>> hosts_in("redis-cart:6379")
    ['redis-cart']
    >>> hosts_in("mongodb://user:pw@geo-db:27017/geo, http://cache.shop.svc.cluster.local")
    ['geo-db', 'cache.shop.svc.cluster.local']
    """
    if text is None or isinstance(text, bool):
        return []
    value = str(text).strip()
    found: list[str] = []
    for pattern in (_URL, _HOST_PORT, _SVC_DNS):
        for match in pattern.finditer(value):
            found.append((match.start(1), match.group(1).lower().rstrip(".")))
    if whole_value and _BARE_HOST.fullmatch(value) and not value.replace(".", "").isdigit():
        found.append((0, value.lower()))
    seen: list[str] = []
    for _, host in sorted(found):
        if host not in seen:
            seen.append(host)
    return seen

"""Where a webhook may go: http(s) URLs whose host resolves to public addresses only.

A subscription's URL is chosen by a brand's admin, and the worker that sends to it sits inside
our network: without this rule a subscription could make the worker call the database, the
cloud's metadata service or an admin page on localhost (server-side request forgery). So the
host is resolved and every address it resolves to must be a public unicast one (IPv4, IPv6,
and the IPv4 addresses that IPv6 forms carry: mapped, NAT64, 6to4, Teredo). The request then
goes to the address that was checked (`resolve`), never to a fresh lookup a DNS change could
point elsewhere. `allow_private` (settings WEBHOOK_ALLOW_PRIVATE) lifts the address rule only.

Pure: the standard library and no Django, so the rule is tested on its own.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

SCHEMES = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressRefused(ValueError):
    """The URL may not be sent to; the message says why, in words for the API's `url` field."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart for sending: its host name and port, and the checked addresses to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (TCP), in the order the system prefers them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


def split_url(url: str) -> SplitResult:
    """`url` parsed, or AddressRefused when it is no http(s) URL with a host (credentials are
    refused too: the signature authenticates us, and a password in a URL is shown in every log)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  raises ValueError for a port that is no number or out of range
    except ValueError as exc:
        raise AddressRefused(f"not a valid URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        raise AddressRefused("only http:// and https:// URLs can receive webhooks")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("the URL may not hold a user name or password")
    return parts


def address_problem(address: IPAddress) -> str | None:
    """Why `address` is not a public unicast address ("a loopback address", ...), None when it is.

    An IPv6 address that carries an IPv4 one is judged by where a packet to it ends up: an
    IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address by its IPv4 address alone,
    a 6to4 or Teredo tunnel address by both.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if (translated := _translated_ipv4(address)) is not None:
            return _within(address, translated, address_problem(translated))
        for tunnelled in _tunnelled_ipv4(address):
            if reason := address_problem(tunnelled):
                return _within(address, tunnelled, reason)
    checks = [
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ]
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:  # shared (100.64/10), documentation and the other special ranges
        return "not a public address"
    return None


def _within(outer: ipaddress.IPv6Address, inner: ipaddress.IPv4Address, reason: str | None) -> str | None:
    return f"{reason} ({inner} inside {outer})" if reason else None


def _translated_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _tunnelled_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    tunnelled = [address.sixtofour] + ([address.teredo[1]] if address.teredo is not None else [])
    return [a for a in tunnelled if a is not None]


def resolve(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """`url`'s target with the addresses its host resolves to, or AddressRefused: not an http(s)
    URL, a host that does not resolve, or (unless `allow_private`) any of its addresses not public.

    Every address must pass, not just one: a name that resolves to a public and a private address
    would otherwise reach the private one whenever the client picks it.
    """
    parts = split_url(url)
    host = parts.hostname or ""
    port = parts.port or SCHEMES[parts.scheme]
    try:
        found = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"the host {host!r} does not resolve ({exc})") from None
    addresses = []
    for text in found:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise AddressRefused(f"the host {host!r} resolves to {text!r}, which is no IP address") from None
        if not allow_private and (reason := address_problem(address)):
            raise AddressRefused(
                f"the host {host!r} resolves to {address}, {reason}: webhooks go to public addresses only "
                "(WEBHOOK_ALLOW_PRIVATE=1 allows private ones)"
            )
        addresses.append(str(address))
    if not addresses:
        raise AddressRefused(f"the host {host!r} does not resolve")
    return Target(url=url, scheme=parts.scheme, host=host, port=port, addresses=tuple(addresses))

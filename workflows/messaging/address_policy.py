"""Which IP addresses a webhook delivery may dial: public ones only.

An admin's endpoint address is a request the service makes on the admin's behalf from inside
the practice's network; pointed at the loopback, a private range or the cloud's metadata
address (169.254.169.254) it would reach services that trust the network, and each
delivery's error class would tell which internal ports answer. ``may_dial`` is the one rule,
used at registration (every address the name resolves to) and again at connect time (the
address actually dialled). Plain functions: no Flask, no database.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

__all__ = ["Resolver", "may_dial", "first_refused", "resolve_host"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to (strings, as getaddrinfo gives them)
Resolver = Callable[[str, int], list[str]]

# Refused whatever the running Python's is_global says: its tables have changed between
# releases (3.11.7 calls 192.0.0.8 and 64:ff9b::a00:5 global), and this list is the promise.
_REFUSED_IPV4 = tuple(
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local machine on Linux
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, with the cloud metadata address 169.254.169.254
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
_REFUSED_IPV6 = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local (the IPv6 private ranges)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# IPv6 forms that carry an IPv4 address a dual-stack host or a gateway would end up dialling.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a gateway would reach for an IPv6 one: IPv4-compatible (::a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:AABB:CCDD::)."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parse(address: str | IPAddress) -> IPAddress:
    if isinstance(address, str):
        # A scope (fe80::1%eth0) says which interface, not which address.
        return ipaddress.ip_address(address.split("%", 1)[0])
    return address


def may_dial(address: str | IPAddress, allow_loopback: bool = False) -> bool:
    """Whether a delivery may connect to ``address``: a public unicast address, or (with
    ``allow_loopback``, in development) this machine's loopback. Anything that is not an IP
    address is refused."""
    try:
        parsed = _parse(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            # ::ffff:127.0.0.1 is 127.0.0.1 to a dual-stack socket: judge the address dialled.
            return may_dial(parsed.ipv4_mapped, allow_loopback)
        embedded = _embedded_ipv4(parsed)
        if embedded is not None and not may_dial(embedded):
            return False  # a gateway would carry it inside; never the development loopback
        if parsed in _NAT64:
            # What DNS64 gives an IPv6-only host for every IPv4 name: the IPv4 address decides
            # (the prefix itself sits in the reserved ::/8).
            return True  # its IPv4 address was judged just above
        refused_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = _REFUSED_IPV6
    else:
        refused_networks = _REFUSED_IPV4
    if parsed.is_loopback:
        return allow_loopback
    if any(parsed in network for network in refused_networks):
        return False
    return (
        parsed.is_global
        and not parsed.is_multicast
        and not parsed.is_reserved
        and not parsed.is_unspecified
    )


def first_refused(addresses: Iterable[str], allow_loopback: bool = False) -> str | None:
    """The first of ``addresses`` that may not be dialled, or None when all may."""
    return next((address for address in addresses if not may_dial(address, allow_loopback)), None)


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for a TCP connection, in the resolver's order (an IP
    literal resolves to itself, with no lookup). Raises socket.gaierror when it does not."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))

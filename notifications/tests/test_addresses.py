"""Where a webhook may go (notifications/addresses.py): the address rule over each special range, the
URL shapes, and a host judged by every address it resolves to. No database, no network: the
resolver is the function's argument (a DNS answer that changes is a fault no test can cause)."""

import ipaddress

import pytest

from notifications.addresses import AddressRefused, address_problem, resolve, split_url

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # the cloud's metadata service
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "",
    "255.255.255.255": "",
    "100.64.0.1": "not a public",  # shared address space (carrier-grade NAT)
    "192.0.2.1": "",  # documentation
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "ff02::1": "multicast",
    "2001:db8::1": "",
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:10.0.0.1": "private",
    "::ffff:169.254.169.254": "link-local",
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "2002:a00:1::1": "private",  # 6to4 of 10.0.0.1
}
ALLOWED = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address, kind", REFUSED.items())
def test_special_addresses_are_refused_with_their_kind(address, kind):
    reason = address_problem(ipaddress.ip_address(address))

    assert reason is not None
    assert kind in reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_unicast_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None


def _answers(*addresses: str):
    return lambda host, port: list(addresses)


def test_a_host_passes_only_when_every_address_it_resolves_to_is_public():
    target = resolve("https://hooks.example.com/x", allow_private=False, resolver=_answers("8.8.8.8", "1.1.1.1"))
    assert (target.host, target.port, target.addresses) == ("hooks.example.com", 443, ("8.8.8.8", "1.1.1.1"))

    with pytest.raises(AddressRefused, match=r"resolves to 10\.0\.0\.7, a private address"):
        resolve("https://hooks.example.com/x", allow_private=False, resolver=_answers("8.8.8.8", "10.0.0.7"))


def test_allow_private_lifts_the_address_rule_only():
    target = resolve("http://receiver:8080/x", allow_private=True, resolver=_answers("10.0.0.7"))
    assert target.addresses == ("10.0.0.7",)

    with pytest.raises(AddressRefused, match="only http"):
        resolve("file:///etc/passwd", allow_private=True, resolver=_answers("10.0.0.7"))


def test_the_real_resolver_sees_through_other_spellings_of_loopback():
    # glibc reads these as 127.0.0.1: judged by what they resolve to, not by how they look
    for url in ["http://localhost/", "http://2130706433/", "http://0x7f.1/", "http://[::1]/", "http://127.1/"]:
        with pytest.raises(AddressRefused, match="loopback"):
            resolve(url, allow_private=False)


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(AddressRefused, match="does not resolve"):
        resolve("http://no-such-host.invalid/", allow_private=True)
    with pytest.raises(AddressRefused, match="does not resolve"):
        resolve("http://nothing.example/", allow_private=True, resolver=_answers())


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://hooks.example.com/", "only http"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "only http"),
        ("hooks.example.com/x", "only http"),
        ("http:///x", "no host"),
        ("http://user:pass@hooks.example.com/", "user name or password"),
        ("http://hooks.example.com:99999/", "not a valid URL"),
        ("http://hooks.example.com:port/", "not a valid URL"),
    ],
)
def test_urls_that_are_no_http_url_with_a_host_are_refused(url, reason):
    with pytest.raises(AddressRefused, match=reason):
        split_url(url)

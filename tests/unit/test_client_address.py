"""Whose address a request is: behind a proxy on this machine the browser's, whatever form the listener gives the
proxy's (Streamlit listens dual-stack: ::ffff:127.0.0.1); from anywhere else its own, a forwarded header ignored."""

from __future__ import annotations

import pytest

from data_access.accounts import client_address, is_loopback


@pytest.mark.parametrize("proxy", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.2"])
def test_a_proxy_on_this_machine_is_seen_through(proxy):
    assert is_loopback(proxy)
    assert client_address(proxy, "203.0.113.7") == "203.0.113.7"
    assert client_address(proxy, "10.0.0.1, 203.0.113.7") == "203.0.113.7"  # the proxy's own addition counts
    assert client_address(proxy, "") == proxy


@pytest.mark.parametrize("remote", ["203.0.113.7", "::ffff:203.0.113.7", "2001:db8::1", "not-an-address"])
def test_a_remote_request_keeps_its_own_address_whatever_it_forwards(remote):
    assert not is_loopback(remote)
    assert client_address(remote, "127.0.0.1") == remote

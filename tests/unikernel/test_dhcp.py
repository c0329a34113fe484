"""The DHCP client against a DHCP server played by scapy in a private network namespace:
lease, router, MTU (option 26 sets the TCP MSS), host name (option 12), renewal at T1."""
from __future__ import annotations

import os
import subprocess
import urllib.request

import pytest

from guest import READY, Guest
from test_rawnet import GUEST_IP, GUEST_MAC, Helper, ip


@pytest.fixture(scope="module")
def dhcp_run(kernel):
    if os.geteuid() != 0:
        pytest.fail("the DHCP test creates a network namespace and a tap device: run it as root")
    ns, tap = f"sortie-ukd-{os.getpid()}", "uk1"
    ip("netns", "add", ns)
    guest = helper = None
    try:
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "tuntap", "add", "dev", tap, "mode", "tap")
        ip("-n", ns, "addr", "add", "10.9.0.1/24", "dev", tap)
        ip("-n", ns, "link", "set", tap, "up")
        helper = Helper(ns, tap)
        assert helper.process.stdin
        helper.process.stdin.write("dhcp_server\n")
        helper.process.stdin.flush()
        guest = Guest(kernel, "version=8", mac=GUEST_MAC, netdev=f"tap,id=n0,ifname={tap},script=no,downscript=no",
                      prefix=["ip", "netns", "exec", ns])
        assert helper.process.stdout
        import json
        log = json.loads(helper.process.stdout.readline())["log"]
        page = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", "10", f"http://{GUEST_IP}/"],
                              capture_output=True, text=True).stdout
        tcp = helper.run("request_response")
        yield log, guest, page, tcp
    finally:
        if helper:
            helper.process.kill()
            helper.process.wait()
        if guest:
            guest.stop()
        subprocess.run(["ip", "netns", "del", ns], check=False)


def test_lease_discover_request_and_ready_line(dhcp_run):
    log, guest, _, _ = dhcp_run
    assert [m["type"] for m in log[:2]] == [1, 3], log              # DISCOVER, REQUEST
    assert log[0]["dst"] == "255.255.255.255" and log[0]["src"] == "0.0.0.0"
    assert log[1]["requested"] == GUEST_IP and log[1]["server_id"] == "10.9.0.1"
    guest.wait_for(f"{READY} version=8 ip={GUEST_IP}", timeout=10)


def test_renews_at_t1_by_unicast_to_the_server(dhcp_run):
    log = dhcp_run[0]
    assert len(log) >= 3, log
    renewal = log[2]
    assert renewal["type"] == 3 and renewal["ciaddr"] == GUEST_IP and renewal["dst"] == "10.9.0.1"
    assert 1.5 <= renewal["t"] - log[1]["t"] <= 4, log              # T1 = 2 s after the ACK


def test_mtu_option_sets_the_mss_and_hostname_names_the_instance(dhcp_run):
    _, _, page, tcp = dhcp_run
    assert tcp["mss"] == 1360                                       # 1400 - 40
    assert "instance: uk-test-1" in page

"""TCP/IP with raw frames: QEMU on a tap device inside a network namespace this test creates,
frames crafted with scapy (rawnet_helper.py, run inside the namespace). All traffic stays there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guest import READY, Guest

HERE = Path(__file__).resolve().parent
GUEST_MAC = "52:54:00:aa:bb:cc"
GUEST_IP = "10.9.0.2"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Helper:
    def __init__(self, ns: str, tap: str):
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, str(HERE / "rawnet_helper.py"), tap, GUEST_MAC, GUEST_IP],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, scenario: str) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(scenario + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"helper died during {scenario}"
        result = json.loads(line)
        assert "error" not in result, result["error"]
        return result


@pytest.fixture(scope="module")
def net(kernel):
    if os.geteuid() != 0:
        pytest.fail("the raw-frame tests create a network namespace and a tap device: run them as root")
    ns, tap = f"sortie-uk-{os.getpid()}", "uk0"
    ip("netns", "add", ns)
    guest = helper = None
    try:
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "tuntap", "add", "dev", tap, "mode", "tap")
        ip("-n", ns, "addr", "add", "10.9.0.1/24", "dev", tap)
        ip("-n", ns, "link", "set", tap, "up")
        guest = Guest(kernel, f"ip={GUEST_IP}/24 gateway=10.9.0.1 version=6", mac=GUEST_MAC,
                      netdev=f"tap,id=n0,ifname={tap},script=no,downscript=no", prefix=["ip", "netns", "exec", ns])
        guest.wait_for(f"{READY} version=6 ip={GUEST_IP}", timeout=30)
        helper = Helper(ns, tap)
        yield helper, guest
    finally:
        if helper:
            helper.process.kill()
            helper.process.wait()
        if guest:
            guest.stop()
        subprocess.run(["ip", "netns", "del", ns], check=False)


def alive(guest: Guest) -> None:
    assert guest.process.poll() is None, guest.console
    assert "KERNEL PANIC" not in guest.console


def test_arp_request_is_answered(net):
    helper, guest = net
    r = helper.run("arp_reply")
    assert r["reply"] and r["hwsrc"] == GUEST_MAC and r["psrc"] == GUEST_IP and r["pdst"] == "10.9.0.100"
    assert r["dst"] == "02:00:00:00:00:64"


def test_guest_asks_arp_for_the_router_and_replies_through_it(net):
    r = net[0].run("arp_request_for_router")
    assert r["request"] and r["request_dst"] == "ff:ff:ff:ff:ff:ff" and r["request_psrc"] == GUEST_IP
    assert r["reply"] and r["reply_dst_ip"] == "192.0.2.7"


def test_icmp_echo_is_answered_with_valid_checksums(net):
    r = net[0].run("icmp_echo")
    assert r == {"reply": True, "seq": 7, "payload": True, "ip_checksum_ok": True, "icmp_checksum_ok": True}


def test_ip_options_are_skipped(net):
    assert net[0].run("icmp_with_ip_options")["reply"]


def test_bad_ip_checksum_is_dropped_and_counted(net):
    r = net[0].run("bad_ip_checksum")
    assert not r["reply"] and r["malformed_delta"] >= 1


def test_fragments_are_dropped_and_counted(net):
    r = net[0].run("fragments")
    assert not r["reply"] and r["fragments_delta"] == 2


def test_bad_tcp_checksum_is_dropped_and_counted(net):
    r = net[0].run("bad_tcp_checksum")
    assert not r["answered"] and r["malformed_delta"] >= 1


def test_truncated_headers_are_dropped_and_counted(net):
    helper, guest = net
    r = helper.run("truncated_headers")
    assert r["per_frame"] == [1] * r["sent"], r
    assert r["http_ok"]
    alive(guest)


def test_syn_to_closed_port_gets_rst(net):
    r = net[0].run("syn_to_closed_port")
    seen = r.pop("frames_from_guest")
    assert r == {"rst": True, "rst_ack_ok": True, "rst_for_ack": True}, "\n".join(seen)


def test_request_over_raw_tcp_with_mss_from_mtu(net):
    r = net[0].run("request_response")
    assert r["mss"] == 1460
    assert r["response"].startswith("HTTP/1.1 200 OK\r\n") and r["response"].endswith("\r\n\r\n6\n")
    assert r["fin"]


def test_retransmitted_syn_gets_the_same_syn_ack(net):
    assert net[0].run("syn_retransmitted") == {"first": True, "second": True, "same_isn": True}


def test_out_of_order_segments_are_reassembled(net):
    r = net[0].run("out_of_order")
    assert r["dup_ack_for_gap"]
    assert r["response"].startswith("HTTP/1.1 200 OK") and r["response"].endswith("6\n")


def test_duplicate_segments_give_one_response(net):
    r = net[0].run("duplicates")
    assert r["responses"] == 1, r["response"]


def test_unacknowledged_data_is_retransmitted_with_backoff(net):
    r = net[0].run("retransmission")
    assert r["same_seq"], r
    first, retry1, retry2 = r["times"]
    assert first < 0.5
    gap1, gap2 = retry1 - first, retry2 - retry1
    assert 0.15 <= gap1 <= 2.5, r
    assert gap2 >= 1.6 * gap1, r            # exponential backoff
    assert not r["after_ack"]


def test_zero_window_holds_data_until_the_window_opens(net):
    r = net[0].run("zero_window")
    assert r["data_while_closed"] == 0
    assert r["response"].startswith("HTTP/1.1 200 OK") and r["response"].endswith("6\n")


def test_rst_mid_connection_closes_it(net):
    r = net[0].run("rst_mid_connection")
    # After the RST the connection is gone: its next segment is answered with a RST.
    assert r == {"acked": True, "reset_after": True, "http_ok": True}


def test_rst_with_wrong_sequence_number_is_challenged_not_obeyed(net):
    r = net[0].run("rst_out_of_window_is_challenged")
    assert r["challenge_ack"] and r["response"].startswith("HTTP/1.1 200 OK")


def test_thousands_of_mutated_frames_never_crash_the_kernel(net):
    helper, guest = net
    r = helper.run("fuzz")
    assert r["malformed_delta"] > 100 and r["http_ok"]
    alive(guest)

"""Runs inside the test's network namespace: crafts frames with scapy on the tap device that the
unikernel's QEMU uses, and reports what came back. Reads scenario names on stdin, writes one JSON
object per line on stdout. Never touches any interface but the tap (TAP) in its namespace.

usage: rawnet_helper.py TAP GUEST_MAC GUEST_IP
"""
from __future__ import annotations

import json
import random
import select
import sys
import time
import traceback
import urllib.request

from scapy.all import ARP, BOOTP, DHCP, ICMP, IP, TCP, UDP, Ether, IPOption_NOP, Raw, conf  # type: ignore

conf.verb = 0
TAP, GMAC, GIP = sys.argv[1], sys.argv[2].lower(), sys.argv[3]
MYMAC, MYIP = "02:00:00:00:00:64", "10.9.0.100"
sock = conf.L2socket(iface=TAP)


def send(p) -> None:
    sock.send(p)


def recv(pred, timeout: float = 2.0):
    """The first frame from the guest matching pred within timeout, or None."""
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            continue
        p = sock.recv()
        if p is None or Ether not in p or p[Ether].src.lower() != GMAC:
            continue
        if pred(p):
            return p


def drain() -> None:
    """Discards frames left over from earlier scenarios (undissected: scapy is slow to parse)."""
    while select.select([sock], [], [], 0)[0]:
        sock.ins.recv(65535)


def collect(pred, duration: float) -> list:
    out = []
    end = time.time() + duration
    while True:
        p = recv(pred, max(0.0, end - time.time()))
        if p is None:
            return out
        out.append(p)


def stats() -> dict:
    with urllib.request.urlopen(f"http://{GIP}/stats", timeout=10) as r:
        return json.load(r)


def http_ok() -> bool:
    with urllib.request.urlopen(f"http://{GIP}/health", timeout=10) as r:
        return r.status == 200 and r.read() == b"ok"


def eth(src: str = MYMAC):
    return Ether(src=src, dst=GMAC)


def icmp_reply(ident: int):
    return lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == ident


def tcp_data(p) -> bytes:
    """The TCP payload (without the Ethernet padding scapy keeps after short frames)."""
    n = p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4
    return bytes(p[TCP].payload)[:max(n, 0)]


class Flow:
    """One TCP connection from MYIP, driven segment by segment."""

    def __init__(self, dport: int = 80, window: int = 65535):
        self.sport = random.randint(20000, 60000)
        self.dport = dport
        self.seq = random.randint(0, 2**31)
        self.ack = 0
        self.window = window

    def segment(self, flags: str, payload: bytes = b"", seq: int | None = None, window: int | None = None,
                ack: int | None = None, **kw):
        p = eth() / IP(src=MYIP, dst=GIP) / TCP(sport=self.sport, dport=self.dport, flags=flags,
                                                 seq=self.seq if seq is None else seq, ack=self.ack if ack is None else ack,
                                                 window=self.window if window is None else window, **kw)
        return p / Raw(payload) if payload else p

    def mine(self, p) -> bool:
        return TCP in p and p[TCP].dport == self.sport and p[TCP].sport == self.dport

    def handshake(self):
        send(self.segment("S", ack=0, options=[("MSS", 1460)]))
        synack = recv(lambda p: self.mine(p) and p[TCP].flags == "SA")
        assert synack is not None, "no SYN-ACK"
        self.seq += 1
        self.ack = synack[TCP].seq + 1
        send(self.segment("A"))
        return synack

    def data(self, p) -> bytes:
        return tcp_data(p)

    def read_response(self, timeout: float = 3.0, ack: bool = True) -> bytes:
        """Data from the guest until it stops, acknowledged in order."""
        got = b""
        end = time.time() + timeout
        while time.time() < end:
            p = recv(lambda q: self.mine(q) and len(tcp_data(q)) > 0, 0.5 if got else end - time.time())
            if p is None:
                if got:
                    break
                continue
            if p[TCP].seq == self.ack:
                got += self.data(p)
                self.ack += len(self.data(p))
            if ack:
                send(self.segment("A"))
        return got


REQUEST = b"GET /version HTTP/1.1\r\nHost: raw\r\n\r\n"


def s_arp_reply():
    send(Ether(src=MYMAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MYMAC, psrc=MYIP, pdst=GIP))
    p = recv(lambda p: ARP in p and p[ARP].op == 2)
    return {"reply": p is not None, "hwsrc": p and p[ARP].hwsrc, "psrc": p and p[ARP].psrc, "pdst": p and p[ARP].pdst,
            "dst": p and p[Ether].dst}


def s_arp_request_for_router():
    # An echo from another network: the answer goes through the router (10.9.0.1), whose MAC
    # the guest must ask for.
    send(eth() / IP(src="192.0.2.7", dst=GIP) / ICMP(id=0x4242, seq=1) / b"via router")
    req = recv(lambda p: ARP in p and p[ARP].op == 1 and p[ARP].pdst == "10.9.0.1", 2)
    time.sleep(0.2)
    send(eth() / IP(src="192.0.2.7", dst=GIP) / ICMP(id=0x4242, seq=2) / b"via router")
    rep = recv(lambda p: ICMP in p and p[ICMP].id == 0x4242 and p[ICMP].type == 0, 2)
    return {"request": req is not None, "request_dst": req and req[Ether].dst, "request_psrc": req and req[ARP].psrc,
            "reply": rep is not None, "reply_dst_ip": rep and rep[IP].dst}


def ones_sum(b: bytes) -> int:
    """The Internet checksum sum of b: 0xFFFF when b holds a valid checksum."""
    if len(b) % 2:
        b += b"\0"
    total = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def s_icmp_echo():
    payload = bytes(range(56))
    send(eth() / IP(src=MYIP, dst=GIP) / ICMP(id=0x1234, seq=7) / payload)
    p = recv(icmp_reply(0x1234))
    if p is None:
        return {"reply": False}
    ip = bytes(p[IP])
    ihl = (ip[0] & 0xF) * 4
    return {"reply": True, "seq": p[ICMP].seq, "payload": bytes(p[ICMP].payload) == payload,
            "ip_checksum_ok": ones_sum(ip[:ihl]) == 0xFFFF,
            "icmp_checksum_ok": ones_sum(ip[ihl:p[IP].len]) == 0xFFFF}


def s_icmp_with_ip_options():
    send(eth() / IP(src=MYIP, dst=GIP, options=[IPOption_NOP()] * 4) / ICMP(id=0x2222, seq=1) / b"options")
    return {"reply": recv(icmp_reply(0x2222)) is not None}


def s_bad_ip_checksum():
    before = stats()["malformed"]
    send(eth() / IP(src=MYIP, dst=GIP, chksum=0x1234) / ICMP(id=0x3333, seq=1))
    reply = recv(icmp_reply(0x3333), 0.7)
    return {"reply": reply is not None, "malformed_delta": stats()["malformed"] - before}


def s_fragments():
    before = stats()["fragments"]
    send(eth() / IP(src=MYIP, dst=GIP, flags="MF", id=99) / ICMP(id=0x5555, seq=1) / (b"x" * 64))
    send(eth() / IP(src=MYIP, dst=GIP, frag=9, id=99, proto=1) / (b"y" * 16))
    reply = recv(icmp_reply(0x5555), 0.7)
    return {"reply": reply is not None, "fragments_delta": stats()["fragments"] - before}


def s_bad_tcp_checksum():
    before = stats()["malformed"]
    f = Flow()
    send(f.segment("S", chksum=0xDEAD))
    synack = recv(lambda p: f.mine(p), 0.7)
    return {"answered": synack is not None, "malformed_delta": stats()["malformed"] - before}


def s_truncated_headers():
    before = stats()["malformed"]
    ip = bytes(IP(src=MYIP, dst=GIP) / TCP(sport=1234, dport=80, flags="S"))
    e = bytes(eth())[:12] + b"\x08\x00"                              # Ethernet header, IPv4
    v4 = eth() / IP(src=MYIP, dst=GIP)
    frames = [
        bytes(v4)[:14 + 10],                                         # half an IPv4 header
        e + bytes([0x4F]) + ip[1:20],                                # IHL 60 bytes, 20 present
        bytes(eth() / IP(src=MYIP, dst=GIP, len=1500) / TCP(dport=80)),  # total length beyond the frame
        bytes(eth() / IP(src=MYIP, dst=GIP, proto=6) / Raw(bytes(TCP(dport=80))[:12])),  # TCP header cut at 12 bytes
        bytes(eth() / IP(src=MYIP, dst=GIP, proto=6) / Raw(bytes(TCP(sport=1, dport=80, dataofs=15))[:20])),  # data offset past the end
        bytes(eth() / IP(src=MYIP, dst=GIP, proto=17) / Raw(b"\x04\x00\x00\x44\x00\xff\x00\x00abcd")),  # UDP length past the end
        bytes(Ether(src=MYMAC, dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=GIP))[:14 + 12],  # truncated ARP
        bytes(eth() / IP(src=MYIP, dst=GIP, proto=1) / b"\x08\x00"),  # 2-byte ICMP
        bytes(eth() / IP(src=MYIP, dst=GIP, version=6)),             # IPv4 ethertype, version 6
        bytes(eth() / IP(src=MYIP, dst=GIP) / TCP(dport=80, options=[(2, b"\x05")])),  # MSS option of length 3
    ]
    counted = []
    for fr in frames:
        m = stats()["malformed"]
        send(Raw(fr))
        time.sleep(0.05)
        counted.append(stats()["malformed"] - m)
    return {"malformed_delta": stats()["malformed"] - before, "sent": len(frames), "per_frame": counted,
            "http_ok": http_ok()}


def s_syn_to_closed_port():
    f = Flow(dport=81)
    send(f.segment("S", ack=0))
    seen = []
    rst = recv(lambda p: seen.append(p.summary()) or f.mine(p))
    g = Flow(dport=81)
    send(g.segment("A", ack=12345))
    rst2 = recv(lambda p: g.mine(p))
    return {"rst": rst is not None and "R" in rst[TCP].flags and "A" in rst[TCP].flags,
            "rst_ack_ok": rst is not None and rst[TCP].ack == f.seq + 1,
            "rst_for_ack": rst2 is not None and rst2[TCP].flags == "R" and rst2[TCP].seq == 12345,
            "frames_from_guest": seen}


def s_request_response():
    f = Flow()
    synack = f.handshake()
    mss = dict((k, v) for k, v in synack[TCP].options if isinstance(k, str)).get("MSS")
    send(f.segment("PA", REQUEST))
    f.seq += len(REQUEST)
    data = f.read_response()
    send(f.segment("FA"))
    fin = recv(lambda p: f.mine(p) and "F" in p[TCP].flags, 2)
    return {"mss": mss, "response": data.decode("latin-1"), "fin": fin is not None}


def s_syn_retransmitted():
    f = Flow()
    send(f.segment("S", ack=0))
    a = recv(lambda p: f.mine(p) and p[TCP].flags == "SA")
    send(f.segment("S", ack=0))
    b = recv(lambda p: f.mine(p) and p[TCP].flags == "SA")
    send(f.segment("R", seq=f.seq + 1))
    return {"first": a is not None, "second": b is not None, "same_isn": a is not None and b is not None and a[TCP].seq == b[TCP].seq}


def s_out_of_order():
    f = Flow()
    f.handshake()
    first, second = REQUEST[:10], REQUEST[10:]
    send(f.segment("PA", second, seq=f.seq + 10))
    dup = recv(lambda p: f.mine(p) and len(tcp_data(p)) == 0, 1)
    send(f.segment("PA", first))
    f.seq += len(REQUEST)
    data = f.read_response()
    send(f.segment("R"))
    return {"dup_ack_for_gap": dup is not None and dup[TCP].ack == f.seq - len(REQUEST), "response": data.decode("latin-1")}


def s_duplicates():
    f = Flow()
    f.handshake()
    first, second = REQUEST[:10], REQUEST[10:]
    send(f.segment("PA", first))
    send(f.segment("PA", first))
    send(f.segment("PA", REQUEST[:20]))                                # overlaps, partly new
    send(f.segment("PA", REQUEST[20:], seq=f.seq + 20))
    send(f.segment("PA", REQUEST[20:], seq=f.seq + 20))
    f.seq += len(REQUEST)
    data = f.read_response(timeout=2)
    send(f.segment("R"))
    return {"responses": data.count(b"HTTP/1.1 "), "response": data.decode("latin-1")}


def s_retransmission():
    f = Flow()
    f.handshake()
    send(f.segment("PA", REQUEST))
    sent_at = time.time()
    f.seq += len(REQUEST)
    times = []
    seqs = []
    for _ in range(3):
        p = recv(lambda q: f.mine(q) and len(tcp_data(q)) > 0, 6)
        if p is None:
            break
        times.append(time.time() - sent_at)
        seqs.append(p[TCP].seq)
    if seqs:
        f.ack = seqs[0] + len(f.data(p))
        send(f.segment("A"))
    more = recv(lambda q: f.mine(q) and len(tcp_data(q)) > 0, 1.5)
    send(f.segment("R"))
    return {"times": times, "same_seq": len(set(seqs)) == 1 and len(seqs) == 3, "after_ack": more is not None}


def s_zero_window():
    f = Flow(window=0)
    f.handshake()
    send(f.segment("PA", REQUEST))
    f.seq += len(REQUEST)
    early = collect(lambda q: f.mine(q) and len(tcp_data(q)) > 1, 0.8)
    f.window = 65535
    send(f.segment("A"))
    data = f.read_response()
    send(f.segment("R"))
    return {"data_while_closed": len(early), "response": data.decode("latin-1")}


def s_rst_mid_connection():
    f = Flow()
    f.handshake()
    send(f.segment("PA", b"GET / HT"))
    f.seq += 8
    ack = recv(lambda p: f.mine(p), 0.5)
    send(f.segment("R"))
    time.sleep(0.1)
    send(f.segment("PA", b"TP/1.1\r\n\r\n"))
    reply = recv(lambda p: f.mine(p), 2)
    return {"acked": ack is not None, "reset_after": reply is not None and reply[TCP].flags == "R",
            "http_ok": http_ok()}


def s_rst_out_of_window_is_challenged():
    f = Flow()
    f.handshake()
    send(f.segment("R", seq=f.seq + 100))
    challenge = recv(lambda p: f.mine(p) and p[TCP].flags == "A", 1)
    send(f.segment("PA", REQUEST))
    f.seq += len(REQUEST)
    data = f.read_response()
    send(f.segment("R"))
    return {"challenge_ack": challenge is not None, "response": data.decode("latin-1")}


def s_fuzz():
    rnd = random.Random(1234)
    before = stats()
    templates = [
        bytes(eth() / IP(src=MYIP, dst=GIP) / TCP(sport=4000, dport=80, flags="S")),
        bytes(eth() / IP(src=MYIP, dst=GIP) / TCP(sport=4001, dport=80, flags="PA") / b"GET / HTTP/1.1\r\n\r\n"),
        bytes(eth() / IP(src=MYIP, dst=GIP) / UDP(sport=67, dport=68) / (b"\x02" + b"\0" * 300)),
        bytes(eth() / IP(src=MYIP, dst=GIP) / ICMP() / b"fuzz"),
        bytes(Ether(src=MYMAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MYMAC, psrc=MYIP, pdst=GIP)),
    ]
    for i in range(3000):
        b = bytearray(rnd.choice(templates))
        for _ in range(rnd.randint(1, 6)):
            pos = rnd.randrange(12, len(b))
            b[pos] = rnd.randrange(256)
        if rnd.random() < 0.3:
            del b[rnd.randrange(14, len(b)):]
        send(Raw(bytes(b)))
        if i % 200 == 0:
            time.sleep(0.02)
    time.sleep(0.5)
    after = stats()
    return {"malformed_delta": after["malformed"] - before["malformed"], "http_ok": http_ok()}


def s_dhcp_server():
    """A DHCP server for the guest (lease 6 s, T1 2 s, MTU 1400, host name uk-test-1) until it has
    answered a discover, a request and one renewal (at most 15 s); returns what the guest sent."""
    log = []
    acks = 0
    end = time.time() + 15
    while time.time() < end and acks < 2:
        p = recv(lambda q: UDP in q and q[UDP].dport == 67 and DHCP in q, end - time.time())
        if p is None:
            break
        opts = dict(o for o in p[DHCP].options if isinstance(o, tuple))
        kind = opts.get("message-type")
        log.append({"t": time.time(), "type": kind, "ciaddr": p[BOOTP].ciaddr, "dst": p[IP].dst, "src": p[IP].src,
                    "requested": opts.get("requested_addr"), "server_id": opts.get("server_id")})
        answer = 2 if kind == 1 else 5
        if answer == 5:
            acks += 1
        renewing = p[BOOTP].ciaddr != "0.0.0.0"
        send(Ether(src=MYMAC, dst=GMAC) / IP(src="10.9.0.1", dst=GIP if renewing else "255.255.255.255")
             / UDP(sport=67, dport=68)
             / BOOTP(op=2, xid=p[BOOTP].xid, yiaddr=GIP, siaddr="10.9.0.1", chaddr=p[BOOTP].chaddr, flags=p[BOOTP].flags)
             / DHCP(options=[("message-type", answer), ("server_id", "10.9.0.1"), ("subnet_mask", "255.255.255.0"),
                             ("router", "10.9.0.1"), ("interface-mtu", 1400), ("lease_time", 6), ("renewal_time", 2),
                             ("rebinding_time", 4), ("hostname", b"uk-test-1"), "end"]))
    return {"log": log}


def s_stats():
    return stats()


def main() -> None:
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            drain()
            result = globals()["s_" + name]()
        except Exception:  # noqa: BLE001 - reported to the test
            result = {"error": traceback.format_exc()}
        print(json.dumps(result), flush=True)


main()

"""SIPp phones for the real-Asterisk tests: callers dialling in from the carrier side (UAC
into from-pstn, pressing keys as RFC 2833 events while the prompts play) and phones that
answer (UAS): agents' phones, and the carrier's far end for transfers and click-to-dial.
Each runs as its own `sipp` process with a scenario written here, logging its SIP messages
and errors beside it; `Phones` stops them all after the test."""

from __future__ import annotations

import asyncio
import re
import signal
import struct
import subprocess
import time
from pathlib import Path

from tests.asterisk.harness import DNIS, Ports, free_udp_port, tail

SDP = """
      v=0
      o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv
"""

CALLER_HEAD = """
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]
""" + SDP + """
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""

CALLER_BYE = """
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""

OK_TO_LAST = """
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
"""

ANSWER_HEAD = """
  <recv request="INVITE" crlf="true">
    <action>
      @KEEP@
    </action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
"""

ANSWER = """
  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]
""" + SDP + """
    ]]>
  </send>
  <recv request="ACK" crlf="true">
    <action>
      @KEEP_DIALOG@
    </action>
  </recv>
"""

# SIPp refuses a scenario that sets a variable it never reads: each part keeps only what
# it needs (the INVITE's CSeq for the 487; Contact and tags for the phone's own BYE).
KEEP_CSEQ = '<ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="invite_cseq"/>'
KEEP_CONTACT = '<ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="contact"/>'
KEEP_TAGS = ('<ereg regexp=".*" search_in="hdr" header="From:" assign_to="far"/>'
             '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="near"/>')

# Hang up from the phone: BYE to the Contact of Asterisk's INVITE, tags swapped.
UAS_BYE = """
  <send retrans="500">
    <![CDATA[

      BYE [$contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$near]
      To:[$far]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""

# Never answer: Asterisk gives up with CANCEL; 200 to it, 487 to the INVITE.
RING_UNTIL_CANCEL = """
  <recv request="CANCEL"/>
""" + OK_TO_LAST + """
  <send>
    <![CDATA[

      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq:[$invite_cseq]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
"""


def _scenario(name: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">\n'
            f"{body}\n</scenario>\n")


def caller_scenario(*, keypad: Path | None = None, hang_up_after_ms: int | None = None,
                    wait_for_bye_ms: int = 120_000) -> str:
    """A caller: INVITE, then plays `keypad` (a pcap of RFC 2833 key presses, see
    keypad_pcap) in the background, then either hangs up after `hang_up_after_ms` or waits
    for Asterisk's BYE."""
    keys = (f'  <nop><action><exec play_pcap_audio="{keypad}"/></action></nop>\n'
            if keypad else "")
    end = (f'  <pause milliseconds="{hang_up_after_ms}"/>\n{CALLER_BYE}'
           if hang_up_after_ms is not None
           else f'  <recv request="BYE" timeout="{wait_for_bye_ms}"/>\n{OK_TO_LAST}')
    return _scenario("caller", CALLER_HEAD + keys + end)


def phone_scenario(*, answer_after_ms: int | None = 300, hang_up_after_ms: int | None = None,
                   wait_for_bye_ms: int = 300_000, voice: Path | None = None) -> str:
    """A phone (agent, or the carrier's far end): rings, then answers after
    `answer_after_ms` (None: never; Asterisk CANCELs), plays `voice` (voice_pcap) in the
    background, then hangs up after `hang_up_after_ms` unless Asterisk's BYE comes first
    (None: waits for that BYE)."""
    if answer_after_ms is None:
        return _scenario("phone", (ANSWER_HEAD + RING_UNTIL_CANCEL)
                         .replace("@KEEP@", KEEP_CSEQ))
    hangs_up = hang_up_after_ms is not None
    body = (ANSWER_HEAD.replace("@KEEP@", KEEP_CONTACT if hangs_up else "")
            + f'  <pause milliseconds="{answer_after_ms}"/>\n'
            + ANSWER.replace("@KEEP_DIALOG@", KEEP_TAGS if hangs_up else ""))
    if voice is not None:
        body += f'  <nop><action><exec play_pcap_audio="{voice}"/></action></nop>\n'
    if not hangs_up:
        body += f'  <recv request="BYE" timeout="{wait_for_bye_ms}"/>\n' + OK_TO_LAST
    else:
        body += (f'  <recv request="BYE" timeout="{hang_up_after_ms}" ontimeout="1"/>\n'
                 + OK_TO_LAST + '  <nop next="2"/>\n  <label id="1"/>\n' + UAS_BYE
                 + '  <label id="2"/>\n')
    return _scenario("phone", body)


DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
RTP_EVENT_PT = 101  # telephone-event, as the SDP above says


def keypad_pcap(path: Path, keys: str, *, delay_s: float = 1.0, gap_s: float = 0.8) -> Path:
    """A pcap of RFC 2833 key presses for SIPp's play_pcap_audio: `keys` one after the
    other, the first `delay_s` after the call is answered, then every `gap_s`.

    Made here rather than taken from Debian's dtmf_2833_<key>.pcap: each of those carries
    fixed RTP sequence numbers and timestamp, so Asterisk takes a second play of the same
    one for a repeat of the first event and drops it (seen on 20.20.1: of six plays of
    dtmf_2833_2.pcap only the first reached the channel). Here every press has its own
    timestamp and the sequence numbers keep rising."""
    packets: list[tuple[float, bytes]] = []
    seq = 1000
    for press, key in enumerate(keys):
        start = delay_s + press * gap_s
        stamp = 8000 * (press + 1)
        for k in range(11):  # 8 updates 20 ms apart, then the end packet three times
            end = k >= 8
            duration = 160 * min(k + 1, 8)
            payload = struct.pack(">BBH", DTMF_EVENTS[key], (0x80 if end else 0) | 10,
                                  duration)
            header = struct.pack(">BBHII", 0x80, (0x80 if k == 0 else 0) | RTP_EVENT_PT,
                                 seq, stamp, 0x5151CAFE)
            packets.append((start + 0.02 * min(k, 8), header + payload))
            seq += 1
    return _write_pcap(path, packets)


def voice_pcap(path: Path, seconds: float) -> Path:
    """A pcap of `seconds` of PCMU silence, a packet every 20 ms, for a phone that sends
    media as a real one does: ChanSpy's audiohooks detach only as frames pass the spied-on
    leg (Asterisk 20's ast_audiohook_detach waits for them), so without media on the
    agent's leg the supervisor's hang-up would wait for the agent's (test_monitoring)."""
    packets = [(0.02 * n, struct.pack(">BBHII", 0x80, 0x80 if n == 0 else 0, 2000 + n,
                                      160 * n, 0x5151BEEF) + b"\xff" * 160)
               for n in range(int(seconds * 50))]
    return _write_pcap(path, packets)


def _write_pcap(path: Path, packets: list[tuple[float, bytes]]) -> Path:
    """RTP packets (seconds from the start, bytes) as a pcap SIPp's play_pcap_audio plays."""
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet
        for at, rtp in packets:
            udp = struct.pack(">HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            frame = b"\0" * 12 + b"\x08\x00" + ip + udp
            out.write(struct.pack("<IIII", int(at), int(at % 1 * 1e6), len(frame), len(frame))
                      + frame)
    return path


class Sipp:
    """One SIPp process: `scenario` (XML text) as a UAC to Asterisk, or as a UAS on `port`.
    Its messages and errors are logged in `workdir`; stop() ends it if still running."""

    def __init__(self, workdir: Path, name: str, scenario: str, *, port: int,
                 asterisk_sip: int, extra: list[str]) -> None:
        self.name = name
        self.workdir = workdir
        self.messages = workdir / f"{name}.messages.log"
        self.errors = workdir / f"{name}.errors.log"
        self.screen = workdir / f"{name}.out"
        xml = workdir / f"{name}.xml"
        xml.write_text(scenario)
        self.args = ["sipp", "-sf", str(xml), "-i", "127.0.0.1", "-mi", "127.0.0.1",
                     "-p", str(port), "-mp", str(free_udp_port(2)), "-nostdin", "-aa",
                     "-trace_msg", "-message_file", str(self.messages),
                     "-trace_err", "-error_file", str(self.errors),
                     *extra, f"127.0.0.1:{asterisk_sip}"]
        with self.screen.open("wb") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=workdir)

    async def wait(self, within: float) -> int:
        """SIPp's exit status once it ends by itself (0: every call went as scripted)."""
        deadline = time.monotonic() + within
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sipp {self.name} still running after {within:.0f} s")
            await asyncio.sleep(0.1)
        return self.proc.returncode

    def requests(self, method: str) -> list[str]:
        """The request URIs of the `method` requests SIPp received or sent (its message
        log), e.g. ["sip:+15550100@127.0.0.1:5070"]."""
        if not self.messages.exists():
            return []
        return re.findall(rf"(?m)^{method} (sip:\S+) SIP/2\.0",
                          self.messages.read_text(errors="replace"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return (f"--- sipp {self.name}: {' '.join(self.args)}\n"
                f"{tail(self.errors, 40)}\n{tail(self.screen, 30)}")


class Phones:
    """The SIPp processes of one test: callers into Asterisk and phones that answer."""

    def __init__(self, workdir: Path, ports: Ports) -> None:
        self.workdir = workdir
        self.ports = ports
        self.started: list[Sipp] = []

    def callers(self, name: str, numbers: list[tuple[str, str]], *, keys: str = "",
                rate_per_s: int = 1, **behaviour: object) -> Sipp:
        """Callers (number, name) dialling DNIS from the carrier side, `rate_per_s` new
        calls a second, each pressing `keys` (keypad_pcap) and then behaving as
        caller_scenario(**behaviour) says."""
        csv = self.workdir / f"{name}.csv"
        csv.write_text("SEQUENTIAL\n" + "".join(f"{num};{who}\n" for num, who in numbers))
        keypad = keypad_pcap(self.workdir / f"{name}.pcap", keys) if keys else None
        return self._start(name, caller_scenario(keypad=keypad, **behaviour),
                           free_udp_port(), [
            "-inf", str(csv), "-s", DNIS, "-m", str(len(numbers)), "-l", str(len(numbers)),
            "-r", str(rate_per_s), "-timeout", "300s", "-timeout_error"])

    def phone(self, name: str, port: int, *, voice_s: float = 0.0,
              **behaviour: object) -> Sipp:
        """A phone (UAS) on `port` behaving as phone_scenario(**behaviour) says, sending
        `voice_s` seconds of media once it answers (voice_pcap)."""
        voice = voice_pcap(self.workdir / f"{name}.voice.pcap", voice_s) if voice_s else None
        return self._start(name, phone_scenario(voice=voice, **behaviour), port,
                           ["-timeout", "300s"])

    def agent(self, agent: str, **behaviour: object) -> Sipp:
        return self.phone(agent, self.ports.agents[agent], **behaviour)

    def carrier(self, **behaviour: object) -> Sipp:
        return self.phone("carrier", self.ports.carrier, **behaviour)

    def _start(self, name: str, scenario: str, port: int, extra: list[str]) -> Sipp:
        sipp = Sipp(self.workdir, name, scenario, port=port, asterisk_sip=self.ports.sip,
                    extra=extra)
        self.started.append(sipp)
        return sipp

    def stop(self) -> None:
        for sipp in self.started:
            sipp.stop()

    def output(self) -> str:
        return "\n".join(sipp.output() for sipp in self.started)

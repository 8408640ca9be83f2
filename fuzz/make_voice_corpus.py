#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_stun, fuzz_rtp and fuzz_recording:
fuzz/make_voice_corpus.py fuzz/corpus.

Valid inputs (RFC 5769's sample request, requests like a browser's, Opus RTP, compound RTCP, a
small recording and packet sequences for the recorder) and the edge cases the parsers must
refuse. Deterministic: running it again writes the same files.
"""
import hashlib
import hmac
import struct
import sys
import zlib
from pathlib import Path

COOKIE = 0x2112A442
TXID = bytes(range(1, 13))

RFC5769_REQUEST = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374"
    "20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576"
    "746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571"
    "a280280004e57a3bcf")


def attr(kind, value):
    pad = (-len(value)) % 4
    return struct.pack(">HH", kind, len(value)) + value + b"\0" * pad


def message(attrs, kind=0x0001, cookie=COOKIE):
    body = b"".join(attrs)
    return struct.pack(">HHI", kind, len(body), cookie) + TXID + body


def with_integrity(msg, password):
    header = bytearray(msg)
    struct.pack_into(">H", header, 2, len(msg) - 20 + 24)
    mac = hmac.new(password, bytes(header), hashlib.sha1).digest()
    return fix_length(bytes(header) + attr(0x0008, mac))


def with_fingerprint(msg):
    header = bytearray(msg)
    struct.pack_into(">H", header, 2, len(msg) - 20 + 8)
    crc = (zlib.crc32(bytes(header)) ^ 0x5354554E) & 0xFFFFFFFF
    return fix_length(bytes(header) + attr(0x8028, struct.pack(">I", crc)))


def fix_length(msg):
    out = bytearray(msg)
    struct.pack_into(">H", out, 2, len(msg) - 20)
    return bytes(out)


def browser_request(use_candidate=True):
    attrs = [attr(0x0006, b"lite:full"), attr(0x0024, struct.pack(">I", 0x6E0001FF)),
             attr(0x802A, struct.pack(">Q", 0x1122334455667788)),
             attr(0xC057, b"\0\1\0\0")]
    if use_candidate:
        attrs.append(attr(0x0025, b""))
    return with_fingerprint(with_integrity(message(attrs), b"secret"))


def stun_corpus():
    good = browser_request()
    return {
        "rfc5769_request": RFC5769_REQUEST,
        "browser_request": good,
        "browser_request_no_nomination": browser_request(False),
        "no_fingerprint": with_integrity(message([attr(0x0006, b"lite:full")]), b"secret"),
        "truncated": good[:37],
        "wrong_cookie": message([attr(0x0006, b"a:b")], cookie=0x2112A443),
        "attribute_overrun": message([struct.pack(">HH", 0x0006, 200) + b"abcd"]),
        "too_many_attributes": message([attr(0x8050, b"")] * 33),
        "long_username": message([attr(0x0006, b"u" * 513)]),
        "unknown_required": message([attr(0x0003, b"\0\0\0\0")]),
        "after_fingerprint": fix_length(good + attr(0x8050, b"")),
        "indication": message([], kind=0x0011),
        "bad_fingerprint": good[:-1] + bytes([good[-1] ^ 1]),
    }


def rtp(seq, ts, payload, pt=111, marker=False, csrcs=(), ext=None, pad=0):
    first = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrcs)
    out = struct.pack(">BBHII", first, (0x80 if marker else 0) | pt, seq, ts, 0xDEADBEEF)
    out += b"".join(struct.pack(">I", c) for c in csrcs)
    if ext is not None:
        out += struct.pack(">HH", 0xBEDE, len(ext) // 4) + ext
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


def rtp_corpus():
    opus = bytes([0xF8]) + bytes(range(60))
    rr = struct.pack(">BBHI", 0x81, 201, 7, 0x1234) + bytes(24)
    sdes = struct.pack(">BBHI", 0x81, 202, 2, 0x1234) + b"\x01\x02ab"
    seqs = b"".join(struct.pack(">HI", s & 0xFFFF, (960 * s) & 0xFFFFFFFF)
                    for s in [65530, 65533, 65535, 0, 2, 1, 5, 40000, 7000, 7001])
    return {
        "opus": rtp(1, 960, opus, marker=True),
        "full_header": rtp(65535, 0xFFFFFFFF, opus, csrcs=(1, 2), ext=b"\x10\xff\0\0", pad=4),
        "rtcp_rr_sdes": rr + sdes,
        "rtcp_overrun": struct.pack(">BBHI", 0x80, 201, 40, 1),
        "reserved_payload_type": rtp(2, 1920, opus, pt=72),
        "padding_overrun": rtp(3, 2880, b"", pad=1)[:-1] + b"\xff",
        "csrc_overrun": bytes([0x8F]) + rtp(4, 0, b"")[1:],
        "stun_byte": b"\x00\x01\x00\x00",
        "dtls_byte": b"\x16\xfe\xfd" + bytes(10),
        "sequence_walk": b"\x80" + seqs,
        "code3_opus": rtp(5, 0, bytes([0xFB, 0x03, 1, 2, 3])),
    }


def ogg_crc(data):
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_page(flags, granule, serial, seq, packets):
    lacing = b""
    for p in packets:
        lacing += b"\xff" * (len(p) // 255) + bytes([len(p) % 255])
    header = bytearray(b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, serial, seq, 0,
                                              len(lacing)) + lacing)
    body = b"".join(packets)
    struct.pack_into("<I", header, 22, ogg_crc(bytes(header) + body))
    return bytes(header) + body


def tag(text):
    return struct.pack("<I", len(text)) + text


def small_recording():
    """A recording as ogg_recorder writes it: three 20 ms packets, a 40 ms gap filled, EOS."""
    call, direction = b"call-seed", b"a>b"
    serial = struct.unpack(">I", hashlib.sha256(call + b"\0" + direction).digest()[:4])[0]
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = (b"OpusTags" + tag(b"hotline") + struct.pack("<I", 2) + tag(b"HOTLINE_CALL=" + call)
            + tag(b"HOTLINE_DIRECTION=" + direction))
    speech = [bytes([0xF8]) + bytes([i]) * 30 for i in range(3)]
    filler = bytes([(31 << 3) | 3, 2])  # two empty 20 ms frames
    audio = [speech[0], speech[1], filler, speech[2]]
    return (ogg_page(0x02, 0, serial, 0, [head]) + ogg_page(0, 0, serial, 1, [tags])
            + ogg_page(0x04, 312 + 5 * 960, serial, 2, audio))


def recording_corpus():
    def steps(*packets):
        return b"\x01" + b"".join(struct.pack(">HB", step, len(p)) + p for step, p in packets)
    speech = bytes([0xF8]) + bytes(range(40))
    return {
        "file_small": b"\x00" + small_recording(),
        "file_cut": b"\x00" + small_recording()[:-20],
        "file_garbage": b"\x00OggS" + bytes(40),
        "steady": steps(*[(60, speech)] * 40),
        "gap_and_duplicate": steps((60, speech), (60, speech), (600, speech), (0, speech),
                                   (60, bytes([0xFB, 0x01])), (60, b""), (60, speech)),
        "clock_restart": steps((60, speech), (60000, speech), (60, speech)),
    }


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus")
    for name, corpus in (("stun", stun_corpus()), ("rtp", rtp_corpus()),
                         ("recording", recording_corpus())):
        (root / name).mkdir(parents=True, exist_ok=True)
        for file, data in corpus.items():
            (root / name / file).write_bytes(data)


if __name__ == "__main__":
    main()

"""Hostile and mistaken peers are refused with a logged reason, and the station keeps serving.

Covers: a station with a key not pinned in the agreement, a station following a different
agreement, a plain TCP client, a TLS 1.2 client, a client with no certificate, and a peer that
sends a garbage frame after a valid handshake. Afterwards the real peer still links up and
messages still flow.
"""
import shutil
import socket
import ssl
import struct
import subprocess
import time

from harness import HOTLINE, Station, World, log, main, wait_for


def peer_address(station):
    text = (station.world.dir / "agreement.toml").read_text()
    block = text.split(f'id = "{station.id}"', 1)[1]
    addr = block.split('primary = "', 1)[1].split('"', 1)[0]
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def make_key(dirpath, cn):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "2",
                    "-subj", f"/CN={cn}", "-keyout", str(dirpath / "tls.key"),
                    "-out", str(dirpath / "tls.crt")], check=True, capture_output=True)


def clone_station(w, name, agreement_edit=None, new_key=False):
    """A copy of the receiving station's directory, optionally with a new key or agreement."""
    d = w.dir / name
    shutil.copytree(w.b.dir, d, ignore=shutil.ignore_patterns("hotline.db*"))
    cfg = (d / "station.toml").read_text()
    if new_key:
        (d / "tls.key").unlink()
        (d / "tls.crt").unlink()
        make_key(d, "ru-pacific-fleet")
    if agreement_edit:
        text = (w.dir / "agreement.toml").read_text()
        (d / "agreement.toml").write_text(agreement_edit(text))
        cfg = cfg.replace('agreement = "../agreement.toml"', 'agreement = "agreement.toml"')
    (d / "station.toml").write_text(cfg)
    (w.dir / f"{name}.env").write_text((w.dir / "ru-pacific-fleet.env").read_text())
    return Station(w, name)


def a_log_grows_with(w, text, timeout_s=20):
    wait_for(f"'{text}' in {w.a.id}'s log", lambda: text in w.a.log(), timeout_s=timeout_s)


def tls_client(cert_dir=None, max_version=ssl.TLSVersion.TLSv1_3):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = max_version
    if max_version == ssl.TLSVersion.TLSv1_2:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_dir is not None:
        ctx.load_cert_chain(str(cert_dir / "tls.crt"), str(cert_dir / "tls.key"))
    return ctx


def expect_tls_refused(addr, ctx):
    with socket.create_connection(addr, timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw) as s:
                # TLS 1.3 finishes the client side before the server checks the certificate;
                # the refusal shows up as the connection closing on the first read.
                s.settimeout(10)
                data = s.recv(1024)
                assert data == b"", f"expected the station to close, got {data!r}"
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass


def test():
    with World("refusals") as w:
        w.a.start()
        a_addr = peer_address(w.a)

        log("1. a station whose key is not pinned in the agreement")
        impostor = clone_station(w, "impostor", new_key=True)
        # Our own binary will not even start with a key its agreement does not pin...
        out = subprocess.run([HOTLINE, "station", "--config", str(impostor.config)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and "pins a TLS key for ru-pacific-fleet" in out.stdout + out.stderr, \
            out.stdout + out.stderr
        # ...and whatever presents such a key is refused by the station it dials.
        expect_tls_refused(a_addr, tls_client(impostor.dir))
        a_log_grows_with(w, "unknown key")
        assert not w.a.link_up(), "a station with the wrong key linked up"

        log("2. a station that follows a different agreement")
        other = clone_station(w, "other-agreement",
                              agreement_edit=lambda t: t.replace("(demonstration)", "(amended)")).start()
        a_log_grows_with(w, "agreement mismatch")
        assert not w.a.link_up(), "a station with a different agreement linked up"
        wait_for("the other side to log the mismatch too", lambda: "agreement mismatch" in other.log())
        other.kill()

        log("3. a plain TCP client")
        with socket.create_connection(a_addr, timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass
            except (ConnectionResetError, socket.timeout):
                pass
        a_log_grows_with(w, "not a TLS client")

        log("4. a TLS 1.2 client with a pinned key")
        expect_tls_refused(a_addr, tls_client(w.b.dir, ssl.TLSVersion.TLSv1_2))
        a_log_grows_with(w, "only TLS 1.3 is accepted")

        log("5. a TLS 1.3 client with no certificate")
        expect_tls_refused(a_addr, tls_client(None))
        a_log_grows_with(w, "no certificate")

        log("6. a pinned peer that sends a garbage frame")
        with socket.create_connection(a_addr, timeout=10) as raw:
            with tls_client(w.b.dir).wrap_socket(raw) as s:
                s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"garbage")
                s.settimeout(10)
                try:
                    while s.recv(4096):
                        pass
                except (ConnectionResetError, ssl.SSLError, socket.timeout):
                    pass
        a_log_grows_with(w, "frame length")

        assert w.a.healthy(), "the station stopped serving"
        log("7. the real peer still links up and a message goes through")
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        code, body = w.a.post("after the attacks", precedence="flash")
        assert code == 201, (code, body)
        wait_for("delivery", lambda: any(m["id"] == body["id"] for m in w.b.messages("in")))


if __name__ == "__main__":
    main(test)

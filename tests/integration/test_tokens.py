"""`hotline token add|list|revoke` against a running station.

A token made while the station runs works at once with its role and no restart, the station
keeps only its hash, the CLI prints it on the last line of standard output, and a revoked token
is refused on the very next request, on a connection that stays open, and its event stream is
closed. The audit log names both changes.
"""
import hashlib
import socket
import sqlite3

from harness import World, main, wait_for


def config_hash_of(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def stored_hashes(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("SELECT sha256 FROM api_tokens")}
    finally:
        con.close()


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def events_upgrade(station, secret):
    """Opens /api/v1/events with a token; returns the socket after a 101, or raises."""
    sock = socket.create_connection((station.host, station.port), timeout=30)
    sock.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: {station.host}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {secret}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, "the station closed the upgrade"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head[:200]
    return sock


def closed_by_station(sock):
    """True once the station has ended the stream (a close frame then EOF, or EOF)."""
    sock.settimeout(60)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
            if b"token revoked" in data:
                return True
    except (ConnectionResetError, socket.timeout):
        return False


def test():
    with World("tokens") as w:
        w.a.start()
        made = w.a.token_command("add", "grafana", "--role", "auditor")
        assert made.returncode == 0, made.stderr
        secret = made.stdout.strip().splitlines()[-1]
        assert secret.startswith("hl_"), made.stdout
        for name in ("hotline.db", "hotline.db-wal"):
            f = w.a.dir / name
            assert not f.exists() or secret.encode() not in f.read_bytes(), f"the secret is in {name}"
        assert config_hash_of(secret) in stored_hashes(w.a.dir / "hotline.db")

        # Works at once, as an auditor: reads the audit log, may not post.
        status, _, body = w.a.exchange("GET", "/api/v1/audit?after=0&limit=100", None,
                                       bearer(secret))
        assert status == 200, (status, body)
        assert any(e["action"] == "token_added" and "grafana" in e["detail"]
                   for e in body["entries"]), body
        status, _, body = w.a.exchange("POST", "/api/v1/messages",
                                       {"channel": "navy", "precedence": "routine", "text": "x"},
                                       bearer(secret))
        assert status == 403, (status, body)

        listed = w.a.token_command("list")
        assert listed.returncode == 0 and "grafana" in listed.stdout, listed
        assert secret not in listed.stdout

        # Revoked: refused on the next request of a kept-alive connection, and its stream ends.
        stream = events_upgrade(w.a, secret)
        duty_token, w.a.token = w.a.token, secret
        status, _ = w.a.request("GET", "/api/v1/status")
        assert status == 200, status
        revoked = w.a.token_command("revoke", "grafana")
        assert revoked.returncode == 0, revoked.stderr
        status, body = w.a.request("GET", "/api/v1/status")
        assert status == 401, (status, body)
        # The next event is not sent: the stream is checked first, and closed.
        w.a.token = duty_token
        assert w.a.post("an event for the stream")[0] == 201
        assert closed_by_station(stream), "the revoked token's event stream stayed open"
        stream.close()
        assert w.a.healthy()


if __name__ == "__main__":
    main(test)

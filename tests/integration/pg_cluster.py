"""A private PostgreSQL 15 cluster for one integration test, as tests/storage/pg_cluster.cpp
starts one for the unit tests.

initdb in a fresh temporary directory; the server listens on 127.0.0.1 at a free port (and on a
unix socket in that directory) with fsync on. Connections over the socket are trusted (for this
helper's own psql); connections over TCP need a password (scram-sha-256), so that a station given
a URL with a password really uses it. initdb refuses to run as root, so as root the cluster runs
as the `postgres` user (runuser), owning its directory.

The cluster is stopped (pg_ctl stop -m immediate) and its directory removed when the `with`
block ends, whatever happened in it; a background shell does the same if the test process dies
first. HOTLINE_PG_TESTS=off skips the test, saying so loudly; a cluster that cannot start fails
it with the reason.
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import SKIP, log

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CLUSTER_USER = "postgres"
START_ATTEMPTS_MAX = 3


def skip_if_disabled():
    """Exits with ctest's skip code, loudly, when HOTLINE_PG_TESTS=off."""
    if os.environ.get("HOTLINE_PG_TESTS") == "off":
        log("SKIP: HOTLINE_PG_TESTS=off: the PostgreSQL integration test is skipped; "
            "nothing was checked against PostgreSQL")
        sys.exit(SKIP)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self):
        self.dir = None
        self.port = 0
        self.running = False
        self._as_user = ["runuser", "-u", CLUSTER_USER, "--"] if os.geteuid() == 0 else []

    def _run(self, *args, check=True):
        out = subprocess.run([*self._as_user, *map(str, args)], capture_output=True, text=True,
                             timeout=120)
        if check and out.returncode != 0:
            raise RuntimeError(f"`{' '.join(map(str, args))}` failed ({out.returncode}): "
                               f"{out.stdout}{out.stderr}")
        return out

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    def _start(self):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"{PG_BIN}/initdb is missing: install Debian's postgresql-15 "
                               "(scripts/install-deps), or skip with HOTLINE_PG_TESTS=off")
        self.dir = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        if self._as_user:
            pw = pwd.getpwnam(CLUSTER_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = self.dir / "data"
        self._run(PG_BIN / "initdb", "--no-sync", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "-D", data)
        failure = ""
        for _ in range(START_ATTEMPTS_MAX):
            self.port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={self.port}"
                       f" -c unix_socket_directories={self.dir} -c fsync=on")
            out = self._run(PG_BIN / "pg_ctl", "start", "-w", "-t", "60", "-D", data,
                            "-l", self.dir / "server.log", "-o", options, check=False)
            if out.returncode == 0:
                self.running = True
                self._start_reaper(data)
                log(f"PostgreSQL 15 cluster on 127.0.0.1:{self.port} in {self.dir}")
                return
            failure = out.stdout + out.stderr
        raise RuntimeError(f"the PostgreSQL cluster cannot start: {failure}")

    def _start_reaper(self, data):
        """Stops the cluster and removes its directory once this process is gone."""
        as_user = " ".join(self._as_user)
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"if [ -d {data} ]; then {as_user} {PG_BIN}/pg_ctl stop -m immediate -D {data};"
                  f" rm -rf {self.dir}; fi")
        subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    def psql(self, sql, database="postgres"):
        """Runs `sql` as the superuser over the unix socket; returns its output."""
        return self._run(PG_BIN / "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                         "-h", self.dir, "-p", self.port, "-U", "postgres", "-d", database,
                         "-c", sql).stdout

    def create_database(self, name, owner, password):
        """A database `name` owned by a new role `owner` who logs in with `password`; its URL."""
        self.psql(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE {name} OWNER {owner}")
        return f"postgresql://{owner}:{password}@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.dir is None:
            return
        if self.running:
            self._run(PG_BIN / "pg_ctl", "stop", "-m", "immediate", "-D", self.dir / "data",
                      check=False)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

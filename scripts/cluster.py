"""A multi-process deployment on this machine, as docs/deployment.md describes it (issue 21, item 2).

    python scripts/cluster.py up [--processes N] [--no-replica] [--port 8600]   (make cluster)
    python scripts/cluster.py down                                               (make cluster-down)
    python scripts/cluster.py status

- nginx (Debian's) on ``--port``: sticky by the cookie ``ggc_node`` it sets on a browser's first answer (a random
  value, ``hash … consistent``), WebSocket upgrade, day-long reads for wall screens, and the next process when one
  does not answer. Each answer names its process in ``X-GGC-Upstream``.
- N Streamlit processes (``serve.py``, default one per core) on the ports after it, sharing one cookie secret.
- pgbouncer (Debian's) in transaction mode: ``<db>`` is the primary (sign-ins, sessions, audit, imports),
  ``<db>_ro`` the replica (the pages' cached reads and the API, ``GGC_READ_DATABASE_URL``).
- A streaming replica of the embedded Postgres (the same binaries): ``pg_basebackup -R`` of the primary, hot standby.
  ``--no-replica`` points the reads at the primary.

Everything lives in ``.data/cluster/`` (configurations, logs, pid files, the replica's data); ``down`` stops it all
and keeps the replica's data for the next ``up`` (``down --purge`` deletes it).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_access.settings import PROJECT_ROOT, get_settings  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def state_dir() -> Path:
    """Where the cluster keeps its files (GGC_CLUSTER_DIR, else .data/cluster)."""
    return Path(os.environ.get("GGC_CLUSTER_DIR") or get_settings().data_dir / "cluster")


def _postgres_bin() -> Path:
    """The directory of the embedded Postgres's programs (the running server's own)."""
    from data_access.engine import embedded_server

    pid_line = (Path(embedded_server().pgdata) / "postmaster.pid").read_text().split("\n")[0]
    return Path(os.readlink(f"/proc/{pid_line.strip()}/exe")).parent


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    """Postgres and pgbouncer refuse root: run them as the data directory's owner when we are root."""
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


def _data_owner(pgdata: Path) -> str | None:
    return pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {seconds:.0f} s")
        time.sleep(0.5)


def _wait_port(port: int, seconds: float) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")
        time.sleep(0.2)


def _nginx_conf(d: Path, port: int, app_ports: list[int]) -> str:
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=30s;" for p in app_ports)
    temp = "\n".join(
        f"  {k}_temp_path {d}/nginx-tmp/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format sticky '$time_iso8601 $cookie_ggc_node $upstream_addr $status "$request"';
  access_log {d}/nginx-access.log sticky;
{temp}
  # Sticky sessions: a browser without the cookie gets a random node (the request id) and keeps it.
  map $cookie_ggc_node $ggc_node {{ "" $request_id; default $cookie_ggc_node; }}
  map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
  upstream app {{
    hash $ggc_node consistent;
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 200m;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-ID $request_id;
      proxy_read_timeout 86400s;
      proxy_send_timeout 86400s;
      proxy_next_upstream error timeout http_502;  # not 503: a slow query would be run again on each process
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      add_header Set-Cookie "ggc_node=$ggc_node; Path=/; HttpOnly; SameSite=Lax" always;
      add_header X-GGC-Upstream $upstream_addr always;
    }}
  }}
}}
"""


def _pgbouncer_conf(d: Path, port: int, db: str, primary_socket: str, replica_port: int | None, timeout_ms: int) -> str:
    setting = f"connect_query='SET statement_timeout = {timeout_ms}'"
    reads = f"host={d / 'replica'} port={replica_port}" if replica_port else f"host={primary_socket} port=5432"
    return f"""[databases]
{db} = host={primary_socket} port=5432 dbname={db} {setting}
{db}_ro = {reads} dbname={db} {setting}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {d}/pgbouncer/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {d}/pgbouncer/pgbouncer.log
pidfile = {d}/pgbouncer/pgbouncer.pid
"""


def _start_replica(d: Path, owner: str | None, primary_socket: str, port: int) -> None:
    """A hot standby streaming from the primary, caught up with it (a copy too far behind is taken again)."""
    bin_dir = _postgres_bin()
    replica = d / "replica"
    if (replica / "standby.signal").exists():
        _pg_ctl_start(bin_dir, replica, owner, port)
        if _caught_up(primary_socket, str(replica), port, 30):
            return
        _pg_ctl_stop(bin_dir, replica, owner)
    shutil.rmtree(replica, ignore_errors=True)  # a copy cut short
    replica.mkdir(parents=True)
    if owner:
        shutil.chown(replica, owner, owner)
    replica.chmod(0o700)
    backup = [str(bin_dir / "pg_basebackup"), "-h", primary_socket, "-U", "postgres", "-D", str(replica)]
    subprocess.run(_as_owner([*backup, "-X", "stream", "-R", "-c", "fast"], owner), check=True)
    _pg_ctl_start(bin_dir, replica, owner, port)
    if not _caught_up(primary_socket, str(replica), port, 120):
        raise RuntimeError(f"the replica did not catch up with the primary: see {replica / 'replica.log'}")


# Reads are not cancelled by the primary's cleanup (feedback). The copy keeps the primary's settings (1 GB of buffers).
_STANDBY = "-c hot_standby=on -c hot_standby_feedback=on"


def _pg_ctl_start(bin_dir: Path, replica: Path, owner: str | None, port: int) -> None:
    if not _running(replica / "postmaster.pid"):
        options = f"-p {port} -k {replica} -h '' {_STANDBY}"
        start = [str(bin_dir / "pg_ctl"), "-D", str(replica), "-w", "-l", str(replica / "replica.log"), "-o", options]
        subprocess.run(_as_owner([*start, "start"], owner), check=True, stdout=subprocess.DEVNULL)


def _pg_ctl_stop(bin_dir: Path, replica: Path, owner: str | None) -> None:
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(replica), "-m", "fast", "-w", "stop"], owner),
                   check=False, stdout=subprocess.DEVNULL)  # fmt: skip


def _caught_up(primary_socket: str, replica_socket: str, port: int, seconds: float) -> bool:
    """Whether the replica replays the primary's WAL of now within ``seconds``."""
    import psycopg

    with psycopg.connect(host=primary_socket, dbname="postgres", user="postgres", autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(host=replica_socket, port=port, dbname="postgres", user="postgres") as conn:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:
                    return True
        except psycopg.OperationalError:
            pass
        time.sleep(0.5)
    return False


def _running(pid_file: Path) -> bool:
    pid = _pid(pid_file)
    return pid is not None and _signal(pid, 0)


def up(processes: int | None = None, replica: bool = True, port: int = 8600, pgbouncer_port: int = 6432,
       replica_port: int = 5433, db: str | None = None, wait_s: float = 180) -> dict:  # fmt: skip
    """Start the cluster (stopping a previous one first); return its description (also in state.json). A part that
    does not start stops the rest."""
    down()
    try:
        return _up(processes, replica, port, pgbouncer_port, replica_port, db, wait_s)
    except BaseException:
        down()
        raise


def _up(processes, replica, port, pgbouncer_port, replica_port, db, wait_s) -> dict:
    import sqlalchemy as sa

    from data_access.engine import embedded_server, server_url

    d = state_dir()
    settings = get_settings()
    db = db or settings.embedded_db
    processes = processes or len(os.sched_getaffinity(0))
    owner_url = server_url(db)
    pgdata = Path(embedded_server().pgdata)
    owner = _data_owner(pgdata)
    primary_socket = sa.make_url(owner_url).query["host"]  # the embedded server listens on a socket only
    for sub in ("nginx-tmp", "pgbouncer", "logs"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    if owner:
        shutil.chown(d / "pgbouncer", owner, owner)

    if replica:
        _start_replica(d, owner, primary_socket, replica_port)
    (d / "pgbouncer" / "userlist.txt").write_text('"ggc_app" ""\n')  # the app role only: no superuser via pgbouncer
    (d / "pgbouncer" / "pgbouncer.ini").write_text(
        _pgbouncer_conf(
            d,
            pgbouncer_port,
            db,
            primary_socket,
            replica_port if replica else None,
            settings.statement_timeout_s * 1000,
        )  # fmt: skip
    )
    subprocess.run(_as_owner([PGBOUNCER, "-d", str(d / "pgbouncer" / "pgbouncer.ini")], owner), check=True)
    _wait_port(pgbouncer_port, 10)

    secret_file = d / "cookie_secret"
    if not secret_file.exists():
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_hex(32))
    app_ports = [port + 11 + i for i in range(processes)]
    env = {
        **os.environ,
        "DATABASE_URL": owner_url,  # the owner, on the primary: the signing key, evaluation after an import
        "GGC_APP_DATABASE_URL": f"postgresql+psycopg://ggc_app@127.0.0.1:{pgbouncer_port}/{db}",
        "GGC_READ_DATABASE_URL": f"postgresql+psycopg://ggc_app@127.0.0.1:{pgbouncer_port}/{db}_ro",
        "STREAMLIT_SERVER_COOKIE_SECRET": secret_file.read_text(),
    }
    state = {"url": f"http://127.0.0.1:{port}", "db": db, "replica": replica, "pgbouncer_port": pgbouncer_port,
             "apps": {}}  # fmt: skip
    for p in app_ports:
        with open(d / "logs" / f"app-{p}.log", "w") as log:  # the process keeps its own descriptor
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(p),
                 "--server.address", "127.0.0.1", "--server.headless", "true"],  # fmt: skip
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        state["apps"][str(p)] = proc.pid
        (d / "state.json").write_text(json.dumps(state))  # down() finds every process started so far
    for p in app_ports:
        try:
            _wait_http(f"http://127.0.0.1:{p}/healthz", wait_s)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: see {d / 'logs' / f'app-{p}.log'}") from None
    (d / "nginx.conf").write_text(_nginx_conf(d, port, app_ports))
    subprocess.run([NGINX, "-p", str(d), "-c", str(d / "nginx.conf")], check=True)
    _wait_http(f"http://127.0.0.1:{port}/healthz", 10)
    return state


def down(purge: bool = False) -> None:
    """Stop nginx, the app processes, pgbouncer and the replica (whatever of them runs), and wait until they have."""
    d = state_dir()
    state = json.loads((d / "state.json").read_text()) if (d / "state.json").exists() else {}
    stopping = [pid for pid in state.get("apps", {}).values() if _signal(pid, signal.SIGTERM, group=True)]
    for pid_file, sig in (
        (d / "nginx.pid", signal.SIGTERM),
        (d / "pgbouncer" / "pgbouncer.pid", signal.SIGTERM),
        (d / "replica" / "postmaster.pid", signal.SIGINT),
    ):  # fmt: skip (SIGINT: fast shutdown)
        pid = _pid(pid_file)
        if pid and _signal(pid, sig):
            stopping.append(pid)
    deadline = time.monotonic() + 30
    for pid in stopping:
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            _signal(pid, signal.SIGKILL, group=str(pid) in map(str, state.get("apps", {}).values()))
    (d / "state.json").unlink(missing_ok=True)
    if purge:
        shutil.rmtree(d / "replica", ignore_errors=True)


def _pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _signal(pid: int, sig: int, group: bool = False) -> bool:
    try:
        (os.killpg if group else os.kill)(pid, sig)
        return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    if not _signal(pid, 0):
        return False
    try:  # a zombie of ours counts as gone
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def status() -> dict:
    d = state_dir()
    state = json.loads((d / "state.json").read_text()) if (d / "state.json").exists() else {}
    return {
        **state,
        "nginx": _running(d / "nginx.pid"),
        "pgbouncer": _running(d / "pgbouncer" / "pgbouncer.pid"),
        "replica_running": _running(d / "replica" / "postmaster.pid"),
        "apps_alive": {port: _alive(pid) for port, pid in state.get("apps", {}).items()},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    u = sub.add_parser("up")
    u.add_argument("--processes", type=int, default=None, help="app processes (default: one per core)")
    u.add_argument("--no-replica", action="store_true", help="the pages read from the primary")
    u.add_argument("--port", type=int, default=8600)
    u.add_argument("--pgbouncer-port", type=int, default=6432)
    u.add_argument("--replica-port", type=int, default=5433)
    dn = sub.add_parser("down")
    dn.add_argument("--purge", action="store_true", help="delete the replica's data too")
    sub.add_parser("status")
    args = p.parse_args(argv)
    if args.command == "up":
        state = up(args.processes, not args.no_replica, args.port, args.pgbouncer_port, args.replica_port)
        reads = "replica" if state["replica"] else "primary"
        print(f"cluster up: {state['url']} (nginx) → {len(state['apps'])} processes, pgbouncer "
              f":{state['pgbouncer_port']}, reads from the {reads}; stop with make cluster-down")  # fmt: skip
    elif args.command == "down":
        down(args.purge)
        print("cluster down")
    else:
        print(json.dumps(status(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Drives one running Actas instance for scripts/bench.sh and prints one line of figures.

    bench.py BASE_URL LABEL SECONDS
    bench.py BASE_URL,SECOND_BASE_URL LABEL SECONDS    (two instances on one database)
    bench.py BASE_URL LABEL SECONDS idle APP_PID        (2,000 open pages, nothing happening)

Signs in the demo accounts (password in ACTAS_DEMO_PASSWORD), has Mia grant consent, then
measures with wrk: `/projects` as Mia herself, and as Ada acting as her (16 connections),
and start + exit cycles a second by two administrators at once. Standard library only.

Member and acting alternate, ROUNDS times (ACTAS_BENCH_ROUNDS, odd, 3 by default): two runs
side by side differ less than two runs a minute apart. Each run starts SETTLE seconds after
the one before, so that the database's own work after a run of writes (PostgreSQL's
autovacuum) is less often charged to the next. The line shows the round with the median
ratio, then every round's ratio in the order they ran. A database takes
2 * ROUNDS * (SECONDS + SETTLE) + SETTLE + SECONDS seconds: 105 s at the defaults.
"""

import http.cookiejar
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

BASES, LABEL, SECONDS = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3])
BASE = BASES[0]
PASSWORD = __import__("os").environ["ACTAS_DEMO_PASSWORD"]
ROUNDS = int(__import__("os").environ.get("ACTAS_BENCH_ROUNDS", "3"))
if ROUNDS < 1 or ROUNDS % 2 == 0:
    sys.exit(f"ACTAS_BENCH_ROUNDS must be odd (it has a median round), not {ROUNDS}")
SETTLE = 5


class Browser:
    """One signed-in person: a cookie jar and the server functions they call."""

    def __init__(self, email):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.call("sign_in", email=email, password=PASSWORD)

    def call(self, function, **form):
        request = urllib.request.Request(
            f"{BASE}/api/{function}",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Sec-Fetch-Site": "same-origin", "Accept": "application/json"},
        )
        # A server still busy with the last load may answer 503 ("try again"): so it does.
        for attempt in range(5):
            try:
                with self.opener.open(request, timeout=30) as response:
                    body = response.read()
                return json.loads(body) if body else None
            except urllib.error.HTTPError as error:
                if error.code != 503 or attempt == 4:
                    raise
                time.sleep(1)

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def wrk(cookie, path="/projects", base=BASE):
    """req/s, p50 ms, p99 ms of SECONDS of GETs with this cookie."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{SECONDS}s", "--latency", "-H", f"Cookie: {cookie}", f"{base}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{LABEL}: {errors.group(1)} requests were refused:\n{out}")

    def percentile(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return rate, percentile(50), percentile(99)


def user_id(staff, email):
    page = staff.call("list_users", search=email, page="1")
    return str(page["users"][0]["user"]["id"])


def cycles(admin, target, counts, index, until):
    """Starts and exits sessions on `target` until `until`, counting them."""
    while time.monotonic() < until:
        admin.call("start_impersonation", target_id=target, reason="TICKET-1 benchmark cycle")
        admin.call("exit_impersonation")
        counts[index] += 1


def on_two_instances():
    """Ada acts as Mia through both instances at once: each instance's figures and the total."""
    mia = Browser("mia@example.com")
    mia.call("grant_consent", duration="72", scope="full_access")
    ada = Browser("ada@example.com")
    ada.call("start_impersonation", target_id=user_id(ada, "mia@example.com"), reason="TICKET-1 two")
    results = [None, None]

    def run(index):
        results[index] = wrk(ada.cookie(), base=BASES[index])

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = results
    print(
        f"| {LABEL} | {first[0]:,.0f} req/s, p99 {first[2]:.1f} ms "
        f"| {second[0]:,.0f} req/s, p99 {second[2]:.1f} ms | {first[0] + second[0]:,.0f} req/s |"
    )


def idle_pages(app_pid, pages=2_000):
    """Opens `pages` live channels as Mia (eight a sign-in, the most one sign-in may hold) and
    measures the app's CPU, and on PostgreSQL its transactions, while nothing happens."""
    import os
    import resource
    import socket

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, pages + 1_000)), hard))
    Browser("mia@example.com").call("grant_consent", duration="72", scope="full_access")
    host, port = urllib.parse.urlsplit(BASE).netloc.split(":")
    streams = []
    browser = None
    for page in range(pages):
        if page % 8 == 0:
            browser = Browser("mia@example.com")
        stream = socket.create_connection((host, int(port)))
        stream.sendall(
            f"GET /api/live HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {browser.cookie()}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        head = stream.recv(4096)
        if not head.startswith(b"HTTP/1.1 200"):
            sys.exit(f"{LABEL}: a live channel was refused: {head[:200]!r}")
        streams.append(stream)
    # PostgreSQL publishes a backend's statistics up to 10 s after it goes idle: wait them out.
    time.sleep(12)

    def cpu_seconds():
        fields = open(f"/proc/{app_pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def transactions():
        url = os.environ["DATABASE_URL"]
        if not url.startswith("postgres"):
            return None
        out = subprocess.run(
            ["psql", "-Atq", url, "-c",
             "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"],
            capture_output=True, text=True, check=True,
        ).stdout
        return int(out.strip())

    cpu, xacts, started = cpu_seconds(), transactions(), time.monotonic()
    time.sleep(SECONDS)
    elapsed = time.monotonic() - started
    cpu_share = (cpu_seconds() - cpu) / elapsed * 100
    after = transactions()
    # The whole database's figure, this query's own transaction taken off.
    per_second = "n/a (SQLite)" if xacts is None else f"{(after - xacts - 1) / elapsed:,.1f}"
    print(f"| {LABEL} | {len(streams):,} | {cpu_share:.1f}% of one core | {per_second} |")
    for stream in streams:
        stream.close()


if len(sys.argv) > 4 and sys.argv[4] == "idle":
    idle_pages(int(sys.argv[5]))
    sys.exit(0)

if len(BASES) == 2:
    on_two_instances()
    sys.exit(0)

mia = Browser("mia@example.com")
mia.call("grant_consent", duration="72", scope="full_access")
max_ = Browser("max@example.com")
max_.call("grant_consent", duration="72", scope="full_access")
ada = Browser("ada@example.com")
owner = Browser("owner@example.com")
mia_id, max_id = user_id(ada, "mia@example.com"), user_id(ada, "max@example.com")

rounds = []
for _ in range(ROUNDS):
    time.sleep(SETTLE)
    member = wrk(mia.cookie())
    ada.call("start_impersonation", target_id=mia_id, reason="TICKET-1 benchmark acting")
    try:
        time.sleep(SETTLE)
        acting = wrk(ada.cookie())
    finally:
        ada.call("exit_impersonation")
    rounds.append((acting[0] / member[0], member, acting))
ratio, member, acting = sorted(rounds, key=lambda measured: measured[0])[ROUNDS // 2]
every_ratio = ", ".join(f"{measured[0]:.2f}" for measured in rounds)

time.sleep(SETTLE)
counts = [0, 0]
until = time.monotonic() + SECONDS
threads = [
    threading.Thread(target=cycles, args=(ada, mia_id, counts, 0, until)),
    threading.Thread(target=cycles, args=(owner, max_id, counts, 1, until)),
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

print(
    f"| {LABEL} | {member[0]:,.0f} req/s, p50 {member[1]:.1f} ms, p99 {member[2]:.1f} ms "
    f"| {acting[0]:,.0f} req/s, p50 {acting[1]:.1f} ms, p99 {acting[2]:.1f} ms "
    f"| {ratio:.2f} ({every_ratio}) | {sum(counts) / SECONDS:,.0f} |"
)

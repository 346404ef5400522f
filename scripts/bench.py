#!/usr/bin/env python3
"""Drives one running Actas instance for scripts/bench.sh and prints one line of figures.

    bench.py BASE_URL LABEL SECONDS

Signs in the demo accounts (password in ACTAS_DEMO_PASSWORD), has Mia grant consent, then
measures with wrk: `/projects` as Mia herself, and as Ada acting as her (16 connections),
and start + exit cycles a second by two administrators at once. Standard library only.
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

BASE, LABEL, SECONDS = sys.argv[1], sys.argv[2], int(sys.argv[3])
PASSWORD = __import__("os").environ["ACTAS_DEMO_PASSWORD"]


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
        with self.opener.open(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def wrk(cookie, path="/projects"):
    """req/s, p50 ms, p99 ms of 10 s of GETs with this cookie."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{SECONDS}s", "--latency", "-H", f"Cookie: {cookie}", f"{BASE}{path}"],
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


mia = Browser("mia@example.com")
mia.call("grant_consent", duration="72", scope="full_access")
max_ = Browser("max@example.com")
max_.call("grant_consent", duration="72", scope="full_access")
ada = Browser("ada@example.com")
owner = Browser("owner@example.com")
mia_id, max_id = user_id(ada, "mia@example.com"), user_id(ada, "max@example.com")

member = wrk(mia.cookie())
ada.call("start_impersonation", target_id=mia_id, reason="TICKET-1 benchmark acting")
acting = wrk(ada.cookie())
ada.call("exit_impersonation")

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
    f"| {acting[0] / member[0]:.2f} | {sum(counts) / SECONDS:,.0f} |"
)

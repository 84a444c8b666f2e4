#!/usr/bin/env python3
# compare.py - compares what synackd made of a synack-campus capture (the
# database, `synackctl services --format csv`, `synackctl report --format
# json`) with the generator's answers file.  Exact equality everywhere; the
# only latitude is the order of top sources that have equal packet counts.
# usage: compare.py ANSWERS DATABASE SERVICES_CSV [REPORT_JSON]
import csv
import json
import sqlite3
import sys

failures = 0


def check(what, got, want):
    global failures
    if got == want:
        print(f"ok: {what}")
        return
    failures += 1
    if isinstance(want, (list, dict)) and len(repr(want)) > 400:
        if isinstance(want, dict):
            keys = sorted(set(got) ^ set(want)) + [k for k in want if k in got and got[k] != want[k]]
            print(f"FAIL: {what}: {len(keys)} differences, e.g. "
                  f"{[(k, got.get(k), want.get(k)) for k in keys[:5]]}")
        else:
            diff = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
            print(f"FAIL: {what}: lengths {len(got)}/{len(want)}, first differences {diff[:5]}")
    else:
        print(f"FAIL: {what}: got {got!r}, want {want!r}")


answers = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
dates = [d["date"] for d in answers["daily"]]


def by_day(sql):
    return {day: value for day, value in db.execute(sql)}


def answer_by_day(key):
    return {d["date"]: d[key] for d in answers["daily"] if d[key]}


# --- the database, queried directly
check("db: packets per day", by_day("SELECT day, sum(packets) FROM daily_services GROUP BY day"),
      answer_by_day("packets"))
check("db: hosts per day",
      by_day("SELECT day, count(DISTINCT addr) FROM daily_services GROUP BY day"),
      answer_by_day("hosts"))
check("db: services per day", by_day("SELECT day, count(*) FROM daily_services GROUP BY day"),
      answer_by_day("services"))
check("db: external hosts per day", by_day("SELECT day, count(*) FROM daily_peers GROUP BY day"),
      answer_by_day("externals"))
check("db: active FTP data per day",
      by_day("SELECT day, packets FROM ftp_data WHERE mode = 'active'"), answer_by_day("ftp_active"))
check("db: passive FTP data per day",
      by_day("SELECT day, packets FROM ftp_data WHERE mode = 'passive'"),
      answer_by_day("ftp_passive"))
t = answers["totals"]
check("db: hosts", db.execute("SELECT count(*) FROM hosts").fetchone()[0], t["hosts"])
check("db: hosts seen every day",
      db.execute("SELECT count(*) FROM (SELECT addr FROM daily_services GROUP BY addr "
                 "HAVING count(DISTINCT day) = ?)", (len(dates),)).fetchone()[0],
      t["hosts_every_day"])
check("db: distinct external hosts",
      db.execute("SELECT count(DISTINCT peer) FROM daily_peers").fetchone()[0], t["externals"])
check("db: distinct ports", db.execute("SELECT count(DISTINCT port) FROM services").fetchone()[0],
      t["ports"])
check("db: SYN+ACKs in hourly", db.execute("SELECT sum(packets) FROM hourly").fetchone()[0],
      t["packets"])
ports = {r["port"]: r["hosts"] for r in answers["ports_by_hosts"]}
check("db: hosts per port",
      {p: n for p, n in db.execute("SELECT port, count(*) FROM services GROUP BY port")}, ports)
new = {}
for first, in db.execute("SELECT date(first_seen, 'unixepoch') FROM hosts"):
    new[first] = new.get(first, 0) + 1
check("db: new hosts per day", new, answer_by_day("new_hosts"))

# --- synackctl services --format csv
want = {(s["addr"], s["port"]): (s["packets"], s["peers"], s["days_seen"])
        for s in answers["services"]}
got = {}
with open(sys.argv[3]) as f:
    for row in csv.DictReader(f):
        got[(row["addr"], int(row["port"]))] = (int(row["packets"]), int(row["peers"]),
                                               int(row["days_seen"]))
check("services: number", len(got), len(want))
check("services: (addr, port) -> (packets, peers, days_seen)", got, want)

# --- synackctl report --format json
if len(sys.argv) > 4:
    report = json.load(open(sys.argv[4]))
    rt = report["totals"]
    for key in ("packets", "hosts", "hosts_every_day", "externals", "services", "ports"):
        check(f"report: totals.{key}", rt[key], t[key])
    check("report: days", report["days"], answers["days"])
    for key in ("packets", "hosts", "services", "ports", "externals", "new_hosts",
                "cumulative_hosts"):
        check(f"report: daily {key}", [d[key] for d in report["daily"]],
              [d[key] for d in answers["daily"]])
    check("report: days detected", report["days_detected"], answers["days_detected"])
    check("report: ports per host", report["ports_per_host"], answers["ports_per_host"])
    rows = lambda rs: [(r["port"], r["hosts"], r["hosts_every_day"], r["externals"]) for r in rs]
    n = len(report["ports_by_hosts"])
    check("report: ports by hosts", rows(report["ports_by_hosts"]),
          rows(answers["ports_by_hosts"][:n]))
    bad = 0
    for rd, ad in zip(report["daily"], answers["daily"]):
        want_top = ad["top_sources"]
        for i, src in enumerate(rd["top_sources"]):
            tied = {w["addr"] for w in want_top if w["packets"] == src["packets"]}
            if (i >= len(want_top) or src["packets"] != want_top[i]["packets"]
                    or src["addr"] not in tied
                    or abs(src["share"] - want_top[i]["share"]) > 1e-6):
                bad += 1
                print(f"  {rd['date']} rank {i + 1}: got {src}, want {want_top[i:i + 1]}")
    check("report: top sources per day", bad, 0)
else:
    print("report: skipped (no synackctl report)")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)

"""headroom.memory fleet test: the loop's before/after table from what the run left in WORK (.work/fleet):
report/report.json (the first diagnosis), remediate-report/remediate.json (the apply and its proof),
report-after/report.json (the diagnosis after the same load again) and kills-{before,after}/<host>.json (each load's
kills by the container's per-cgroup oom_kill counters). One row per finding of the first diagnosis (a host without
findings gets one row); writes the table to WORK/table.txt and OUT, and prints it.
usage: fleet_table.py WORK OUT"""
import json
import os
import sys

WORK, OUT = sys.argv[1], sys.argv[2]


def load(*parts):
    with open(os.path.join(WORK, *parts)) as f:
        return json.load(f)


first = dict((h["host"], h) for h in load("report", "report.json")["hosts"])
proof = dict((h["host"], h) for h in load("remediate-report", "remediate.json")["hosts"])
again = dict((h["host"], h) for h in load("report-after", "report.json")["hosts"])
rows = []
for host in sorted(first):
    before, after = load("kills-before", host + ".json"), load("kills-after", host + ".json")
    findings = (proof.get(host) or {}).get("findings") or []
    remedies = list(first[host].get("findings") or [])
    still = sorted(set(f["id"] for f in (again.get(host) or {}).get("findings") or []))
    if not findings:
        rows.append((host, before["service"], "-", "-", before["kills"], after["kills"], "nothing found", ""))
    for row in findings:
        if row["state"] == "new":
            continue
        role = next(((f.get("remedy") or {}).get("role") for f in remedies if f["id"] == row["id"]), None)
        name = row["id"] + ("[%s]" % row["instance"] if row.get("instance") else "")
        rows.append((host, before["service"], name, role or "none (text)", before["kills"], after["kills"],
                     row["state"], row["reason"]))
    rows.append((host, None, "after the same load, diagnose finds: " + (", ".join(still) or "nothing")))
head = ("HOST", "SERVICE", "FINDING", "REMEDY", "KILLS BEFORE", "KILLS AFTER", "PROOF")
table = [r for r in rows if r[1] is not None]
widths = [max(len(str(r[i])) for r in table + [head]) for i in range(len(head))]
widths[2] = min(widths[2], 48)
lines = ["  ".join(str(v)[:widths[i]].ljust(widths[i]) for i, v in enumerate(head))]
for r in rows:
    if r[1] is None:
        lines.append("    " + r[2])
        continue
    lines.append("  ".join(str(v)[:widths[i]].ljust(widths[i]) for i, v in enumerate(r[:7])).rstrip())
    if r[7]:
        lines.append("    why: " + r[7][:240])
text = "\n".join(lines) + "\n"
for path in (os.path.join(WORK, "table.txt"), OUT):
    with open(path, "w") as f:
        f.write(text)
with open(os.path.join(WORK, "table.json"), "w") as f:
    json.dump([dict(zip(head + ("WHY",), r)) for r in table], f, indent=1)
sys.stdout.write(text)

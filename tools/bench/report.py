#!/usr/bin/env python3
"""Tables of `make bench` (tools/bench.sh), from the files it writes (not a test).

  report.py tables RESULTS RATE STARTUP HWM AUDIT_SCALE MODE...
  report.py targets RESULTS RATE HWM MODE...
  report.py cpu CPU

CPU: "ROUND CONFIG MODE BUSY STEAL TOTAL BUSY STEAL TOTAL" (the machine's
/proc/stat ticks, all cores, before and after each run): how many cores were
busy and how much was stolen while it ran, the bench's noise.

RESULTS: "ROUND CONFIG MODE VALUE" (ns per operation) and "ROUND events
MONITOR SEEN LOST" lines; RATE: "RINGBUF TARGET MADE ACHIEVED SEEN LOST
CPU_NS" per throughput step; STARTUP: "SOCKET_MS READY_MS FIRST_MS" per run;
HWM: "VMHWM RSSANON RSSFILE RINGBUF_RSS what" (kB) per collector.  These are
the files tools/bench.sh writes (BENCH_SAVE=DIR keeps them).  Timings are
shown, never judged: "targets" says met or missed and exits 0 either way.
"""
import statistics
import sys

CONFIGS = [  # (config, column title)
    ("idle", "agentmon idle"),
    ("untagged", "agentmon untagged"),
    ("tagged", "agentmon tagged"),
    ("bt-untagged", "bpftrace untagged"),
    ("bt-tagged", "bpftrace tagged"),
    ("auditd", "auditd (all)"),
]
UNITS = {  # mode: (divisor of ns, unit, format)
    "open": (1, "ns/op", "%.0f"),
    "connect": (1, "ns/op", "%.0f"),
    "forkexec": (1e3, "us/op", "%.0f"),
    "https": (1e3, "us/req", "%.0f"),
    "make": (1e9, "s/build", "%.2f"),
    "git": (1e6, "ms/status", "%.1f"),
    "agent": (1e9, "s/session", "%.2f"),
}
TITLES = {
    "open": "open/close",
    "connect": "TCP connect",
    "forkexec": "fork+exec",
    "https": "HTTPS POST (keep-alive)",
    "make": "make -j2 (C files)",
    "git": "git status (files)",
    "agent": "Claude Code -p (shell tool)",
}
TARGETS = {"untagged": 1.10, "tagged": 1.5, "idle": 1.02}
# issue 10 item 7: the TLS and real-agent workloads' own targets
WORKLOAD_TARGETS = {("https", "untagged"): 1.05, ("https", "tagged"): 1.3,
                    ("agent", "tagged"): 1.03}
TARGET_RATE = 200000
DEFAULT_RB = "16m"  # the collector's default ring buffer
TARGET_RSS_KB = 32 * 1024


def stat(xs, fmt):
    if not xs:
        return "-"
    return "%s (%s-%s)" % (fmt % statistics.median(xs), fmt % min(xs), fmt % max(xs))


def load_results(path):
    res, events = {}, {}
    for line in open(path):
        f = line.split()
        if f[1] == "events":
            events.setdefault(f[2], []).append((int(f[0]), int(f[3]), int(f[4])))
        else:
            res[(int(f[0]), f[1], f[2])] = float(f[3])
    return res, events


def ratios(res, config, mode):
    rounds = sorted({k[0] for k in res if k[1] == config and k[2] == mode})
    return [res[(r, config, mode)] / res[(r, "baseline", mode)] for r in rounds
            if (r, "baseline", mode) in res]


def load_rate(path):
    """{ring buffer: (steps, extra)}, in the file's order"""
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 7:
            out.setdefault(f[0], []).append(dict(
                target=int(f[1]), made=int(f[2]), achieved=float(f[3]), seen=int(f[4]),
                lost=int(f[5]), cpu=int(f[6])))
    res = {}
    for rb, rows in out.items():
        # the launch's own events (exec, the loader's opens, exits): the first
        # step without loss tells how many there are besides the opens
        extra = next((r["seen"] - r["made"] for r in rows if not r["lost"]), None)
        res[rb] = (rows, extra)
    return res


def max_clean_rate(rows):
    """the step with the highest rate achieved before the first loss, or None"""
    clean = []
    for r in rows:
        if r["lost"]:
            break
        clean.append(r)
    return max(clean, key=lambda r: r["achieved"]) if clean else None


def load_hwm(path):
    """(VmHWM, RssAnon, RssFile, ring buffer Rss, what) per collector, kB"""
    rows = []
    for line in open(path):
        f = line.split(None, 4)
        if len(f) == 5 and all(x.isdigit() for x in f[:4]):
            rows.append(tuple(int(x) for x in f[:4]) + (f[4].strip(),))
    return rows


def tables(results, rate, startup, hwm, audit_scale, modes):
    res, events = load_results(results)
    configs = [c for c in CONFIGS if any(k[1] == c[0] for k in res)]
    rounds = sorted({k[0] for k in res})
    print("overhead: ratio to no monitor, median (min-max) of %d interleaved round%s"
          % (len(rounds), "" if len(rounds) == 1 else "s"))
    head = "%-10s %-28s" % ("workload", "baseline")
    head += "".join(" %-18s" % t for _, t in configs)
    print(head)
    for mode in modes:
        div, unit, fmt = UNITS.get(mode, (1, "ns/op", "%.0f"))
        base = [res[(r, "baseline", mode)] / div for r in rounds if (r, "baseline", mode) in res]
        line = "%-10s %-28s" % (mode, stat(base, fmt) + " " + unit)
        line += "".join(" %-18s" % stat(ratios(res, c, mode), "%.2f") for c, _ in configs)
        print(line)
    if any(c == "auditd" for c, _ in configs):
        print("auditd: its rules apply to every process (tagged = untagged); the loops ran 1/%s"
              " of their operations under it" % audit_scale)
    names = {"agentmon": "agentmon (tagged runs)", "bpftrace": "bpftrace (tagged runs)",
             "auditd": "auditd (every process)"}
    for mon in ("agentmon", "bpftrace", "auditd"):
        ev = events.get(mon)
        if not ev:
            continue
        what = {"agentmon": "JSON lines", "bpftrace": "lines", "auditd": "SYSCALL records"}[mon]
        print("%s: %d events lost in %d rounds (per round: %s); %s per round: %s"
              % (names[mon], sum(e[2] for e in ev), len(ev), " ".join(str(e[2]) for e in ev),
                 what, " ".join(str(e[1]) for e in ev)))

    for rb, (rows, extra) in load_rate(rate).items():
        print()
        print("throughput, ring buffer %s: a tagged open loop at a set rate (events/s), loss from"
              " drop events; events made = opens + %s of the launch's own"
              % (rb, "-" if extra is None else extra))
        print("%-10s %-11s %-10s %-10s %-9s %-8s %-15s %-13s %-10s"
              % ("target/s", "achieved/s", "made", "seen", "lost", "loss %", "seen+lost=made",
                 "CPU ns/event", "CPU % core"))
        for r in rows:
            made = r["made"] + (extra or 0)
            secs = r["made"] / r["achieved"] if r["achieved"] else 0
            exact = "-" if extra is None else ("yes" if r["seen"] + r["lost"] == made
                                                else "NO (%+d)" % (r["seen"] + r["lost"] - made))
            print("%-10d %-11.0f %-10d %-10d %-9d %-8.2f %-15s %-13.0f %-10.0f"
                  % (r["target"], r["achieved"], made, r["seen"], r["lost"],
                     100.0 * r["lost"] / made if made else 0, exact,
                     r["cpu"] / r["seen"] if r["seen"] else 0,
                     100.0 * r["cpu"] / 1e9 / secs if secs else 0))
        best = max_clean_rate(rows)
        print("highest rate with zero loss: %s%s" % (
            "none" if best is None else "%.0f/s achieved (step %d/s)" % (best["achieved"], best["target"]),
            "" if any(r["lost"] for r in rows) else "; no step lost anything: the loop, not the"
            " collector, set the limit"))

    runs = [tuple(float(x) for x in l.split()) for l in open(startup) if l.strip()]
    if runs:
        print()
        print("start-up, from the exec of `agentmon run` (%d runs, ms, median (min-max)):"
              " socket %s, collector ready %s, first event of an agent launched at once %s"
              % (len(runs), stat([x[0] for x in runs], "%.0f"), stat([x[1] for x in runs], "%.0f"),
                 stat([x[2] for x in runs], "%.0f")))

    h = load_hwm(hwm)
    if h:
        top = max(h)
        print("collector peak RSS (VmHWM): %.1f MiB at most (%s); per collector: %s MiB"
              % (top[0] / 1024, top[4], " ".join("%.1f" % (x[0] / 1024) for x in h)))
        print("  at its end: anonymous %.1f MiB, file and shared %.1f MiB, of which the BPF"
              " map mappings %.1f MiB (the ring buffer's pages, mapped twice, are resident"
              " from the start)" % (top[1] / 1024, top[2] / 1024, top[3] / 1024))


def targets(results, rate, hwm, modes):
    res, _ = load_results(results)
    print()
    print("targets on this machine (shown, never checked):")
    summary = {}
    for config in ("untagged", "tagged", "idle"):
        meds = {m: statistics.median(ratios(res, config, m)) for m in modes if ratios(res, config, m)}
        summary[config] = meds
        if not meds:
            continue
        over = ["%s %.2f" % (m, v) for m, v in meds.items() if v > TARGETS[config]]
        print("  %-8s <= %.2fx: %s (worst median: %s %.2f)"
              % (config, TARGETS[config], "missed by " + ", ".join(over) if over else "met",
                 *max(meds.items(), key=lambda kv: kv[1])))
    for (m, config), limit in WORKLOAD_TARGETS.items():
        v = summary.get(config, {}).get(m)
        if v is not None:
            print("  %s %-8s <= %.2fx: %s (median %.2f)"
                  % (m, config, limit, "met" if v <= limit else "missed", v))
    rates = load_rate(rate)
    rows = rates[DEFAULT_RB][0] if DEFAULT_RB in rates else next(iter(rates.values()), ([],))[0]
    at = next((r for r in rows if r["target"] == TARGET_RATE), None)
    if at is None:
        print("  zero loss at %d events/s: not measured (BENCH_RATES)" % TARGET_RATE)
    else:
        ok = not at["lost"] and at["achieved"] >= 0.95 * TARGET_RATE
        why = "" if ok or at["lost"] else " (no loss, but the loop fell behind the rate)"
        print("  zero loss at %d events/s: %s (%d lost, %.0f/s achieved)%s"
              % (TARGET_RATE, "met" if ok else "missed", at["lost"], at["achieved"], why))
    h = load_hwm(hwm)
    if h:
        top = max(h)
        print("  RSS < 32 MiB: %s (VmHWM %.1f MiB, %s; without the BPF map mappings %.1f MiB)"
              % ("met" if top[0] < TARGET_RSS_KB else "missed", top[0] / 1024, top[4],
                 (top[0] - top[3]) / 1024))

    configs = [c for c in CONFIGS if any(k[1] == c[0] for k in res)]
    order = ["untagged", "tagged", "idle", "bt-untagged", "bt-tagged", "auditd"]
    cols = [c for c in order if c in dict(configs)]
    print()
    print("summary (markdown; ratio to no monitor, median of the rounds):")
    print()
    print("| workload | " + " | ".join(dict(CONFIGS)[c] for c in cols) + " |")
    print("| --- |" + " --- |" * len(cols))
    for m in modes:
        cells = []
        for c in cols:
            x = ratios(res, c, m)
            cells.append("%.2fx" % statistics.median(x) if x else "-")
        print("| %s | %s |" % (TITLES.get(m, m), " | ".join(cells)))


def cpu(path):
    """cores busy and % stolen during each workload's runs, per config: an
    HTTPS baseline keeps about one core busy (client and server in turn), so
    a run far above its workload's own figure shared the machine"""
    runs = {}
    cores = len([c for c in open("/proc/stat") if c[:3] == "cpu" and c[3].isdigit()])
    for line in open(path):
        f = line.split()
        b0, s0, t0, b1, s1, t1 = (int(x) for x in f[3:9])
        if t1 <= t0:
            continue
        runs.setdefault((f[2], f[1]), []).append(
            ((b1 - b0) / (t1 - t0) * cores, 100.0 * (s1 - s0) / (t1 - t0)))
    if not runs:
        return
    print("\nNoise: cores busy (whole machine, the workload included) and %"
          " stolen during the runs, median (min-max)\n")
    print("| workload | config | cores busy | steal % |")
    print("| --- | --- | --- | --- |")
    for (mode, config), xs in sorted(runs.items()):
        print("| %s | %s | %s | %s |" % (TITLES.get(mode, mode), config,
              stat([x[0] for x in xs], "%.2f"), stat([x[1] for x in xs], "%.1f")))


def main():
    cmd = sys.argv[1]
    if cmd == "tables":
        tables(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:])
    elif cmd == "targets":
        targets(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif cmd == "cpu":
        cpu(sys.argv[2])
    else:
        sys.exit("usage: report.py tables|targets|cpu ...")


if __name__ == "__main__":
    main()

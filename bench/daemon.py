#!/usr/bin/env python3
"""Daemon overhead benchmark: the real `kontextd run` on temporary folders, against an inotifywait loop
that calls `vips copy` per file. Run by bench/run; writes bench/results/daemon.json.

(a) Latency: single 64x64 PNGs, one at a time. A file counts as complete when its rename into the
    inbox returns. Claim time comes from the job id (the claim's start, in milliseconds), start and
    finish from the job log's startedAt and finishedAt, delivery from the job log's appearance.
(b) Throughput: bursts of 1,000 64x64 PNGs renamed into the inbox at once, which only run the
    deterministic stages, in BURST_ROUNDS rounds on one daemon. Peak memory is the daemon's VmHWM from /proc/PID/status.
"""
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from machine import LoadMeter

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".build/release/kontextd"
SETTLE = float(os.environ.get("BENCH_SETTLE", "0.2"))
# Latency is also measured at these settle times, to separate the settle time from the daemon's overhead.
SETTLE_SWEEP = [float(value) for value in os.environ.get("BENCH_SETTLE_SWEEP", "0,1").split(",") if value]
SINGLES = int(os.environ.get("BENCH_SINGLES", "30"))
BURST = int(os.environ.get("BENCH_BURST", "1000"))
BURST_ROUNDS = int(os.environ.get("BENCH_BURST_ROUNDS", "3"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "300"))
POLL = 0.001  # Seconds between checks for a single delivery; the latency figures carry this resolution.

LOOP = r"""
in=$1 out=$2 originals=$3
while IFS= read -r name; do
    case "$name" in .*|*.part) continue ;; esac
    vips copy "$in/$name" "$out/.tmp-$name" && mv "$out/.tmp-$name" "$out/$name" && mv "$in/$name" "$originals/$name"
done < <(inotifywait -m -q -e moved_to -e close_write --format '%f' "$in")
"""


def make_pngs(folder: Path, prefix: str, count: int) -> list:
    """Write `count` distinct 64x64 RGB PNGs of noise into `folder` and return their paths."""
    from PIL import Image

    paths = []
    for index in range(count):
        path = folder / f"{prefix}{index:04d}.png"
        Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(path)
        paths.append(path)
    return paths


def parse_time(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def claim_time(job_id: str) -> float:
    """Return the time the claim started, parsed from a job id such as 20261204T204204.224Z-5a0866a8."""
    stamp = datetime.strptime(job_id.split("Z-")[0], "%Y%m%dT%H%M%S.%f")
    return stamp.replace(tzinfo=timezone.utc).timestamp()


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(path: Path, deadline: float) -> float:
    while not path.exists():
        if time.time() > deadline:
            raise TimeoutError(f"{path} did not appear within {TIMEOUT} s")
        time.sleep(POLL)
    return time.time()


class Folders:
    def __init__(self, root: Path):
        self.root = root
        for name in ("inbox", "outbox", "failed", "state", "stage", "originals"):
            (root / name).mkdir()
            setattr(self, name, root / name)


def start_daemon(folders: Folders, settle: float) -> subprocess.Popen:
    config = folders.root / "kontextd.yaml"
    config.write_text(
        "watches:\n"
        f"  - {{name: bench, inbox: {folders.inbox}, outbox: {folders.outbox}, failed: {folders.failed}, "
        f"state: {folders.state}}}\n"
        f"workers: 2\nsettle: {settle}\nsidecar_grace: 0\n"
    )
    log = open(folders.root / "daemon.log", "w")
    daemon = subprocess.Popen([str(BINARY), "run", "--config", str(config)], stderr=log, stdout=log)
    deadline = time.time() + 30
    while "Monitor started" not in (folders.root / "daemon.log").read_text():
        if daemon.poll() is not None or time.time() > deadline:
            sys.exit(f"daemon: kontextd did not start; see {folders.root / 'daemon.log'}")
        time.sleep(0.01)
    return daemon


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def pause() -> None:
    """Wait a random time between files, so arrivals do not fall in step with the daemon's 250 ms tick."""
    time.sleep(random.uniform(0.05, 0.3))


def singles_kontextd(folders: Folders) -> list:
    rows = []
    for source in make_pngs(folders.stage, "single", SINGLES):
        target = folders.inbox / source.name
        os.rename(source, target)
        complete = time.time()
        log_path = folders.outbox / (source.stem + ".job.json")
        delivered = wait_for(log_path, complete + TIMEOUT)
        log = json.loads(log_path.read_text())
        rows.append({
            "claim": claim_time(log["jobID"]) - complete,
            "start": parse_time(log["startedAt"]) - complete,
            "finish": parse_time(log["finishedAt"]) - complete,
            "delivered": delivered - complete,
        })
        pause()
    return rows


def singles_loop(folders: Folders) -> list:
    rows = []
    for source in make_pngs(folders.stage, "single", SINGLES):
        os.rename(source, folders.inbox / source.name)
        complete = time.time()
        delivered = wait_for(folders.outbox / source.name, complete + TIMEOUT)
        rows.append({"delivered": delivered - complete})
        pause()
    return rows


def burst(folders: Folders, pid: int, prefix: str, count_done) -> dict:
    """Rename BURST files into the inbox at once and wait until `count_done()` reaches BURST."""
    sources = make_pngs(folders.stage, prefix, BURST)
    cpu_before = cpu_seconds(pid) if pid else 0.0
    started = time.time()
    for source in sources:
        os.rename(source, folders.inbox / source.name)
    renamed = time.time()
    rss_samples = []
    while (done := count_done()) < BURST:
        if time.time() - started > TIMEOUT:
            raise TimeoutError(f"only {done} of {BURST} jobs were delivered within {TIMEOUT} s")
        if any(folders.failed.iterdir()):
            raise RuntimeError(f"jobs failed; see {folders.failed}")
        if pid:
            rss_samples.append(memory_kib(pid, "VmRSS"))
        time.sleep(0.02)
    finished = time.time()
    result = {
        "files": BURST,
        "rename_seconds": round(renamed - started, 3),
        "seconds": round(finished - started, 3),
        "jobs_per_second": round(BURST / (finished - started), 1),
    }
    if pid:
        result["cpu_seconds"] = round(cpu_seconds(pid) - cpu_before, 2)
        result["max_sampled_rss_mib"] = round(max(rss_samples, default=0) / 1024, 1)
        result["vm_hwm_mib"] = round(memory_kib(pid, "VmHWM") / 1024, 1)
    return result


def job_log_span(folders: Folders, prefix: str) -> dict:
    """Return the time from first claim to last finish in the burst's job logs, and the pipeline's time per job."""
    logs = [json.loads(path.read_text()) for path in folders.outbox.glob(f"{prefix}*.job.json")]
    claims = [claim_time(log["jobID"]) for log in logs]
    finishes = [parse_time(log["finishedAt"]) for log in logs]
    stage_ms = [sum(timing["seconds"] for timing in log["timings"]) * 1000 for log in logs]
    return {
        "first_claim_to_last_finish_seconds": round(max(finishes) - min(claims), 3),
        "pipeline_ms_per_job_median": round(statistics.median(stage_ms), 3),
    }


def run_kontextd(settle: float, with_burst: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="kontextd-bench-daemon.") as root:
        folders = Folders(Path(root))
        daemon = start_daemon(folders, settle)
        try:
            idle_rss = memory_kib(daemon.pid, "VmRSS")
            result = {"latency": summarize(singles_kontextd(folders))}
            # Several rounds on one daemon, because one round lasts seconds and other processes may load
            # the machine during any of them. VmHWM is the peak over all rounds.
            for round_index in range(BURST_ROUNDS if with_burst else 0):
                prefix = f"burst{round_index}-"
                count = lambda prefix=prefix: len(list(folders.outbox.glob(f"{prefix}*.job.json")))
                burst_result = burst(folders, daemon.pid, prefix, count)
                burst_result.update(job_log_span(folders, prefix))
                burst_result["idle_rss_mib"] = round(idle_rss / 1024, 1)
                result.setdefault("bursts", []).append(burst_result)
        finally:
            stop(daemon)
        return result


def run_loop() -> dict:
    with tempfile.TemporaryDirectory(prefix="kontextd-bench-loop.") as root:
        folders = Folders(Path(root))
        loop = subprocess.Popen(
            ["bash", "-c", LOOP, "loop", str(folders.inbox), str(folders.outbox), str(folders.originals)],
            start_new_session=True,
        )
        time.sleep(0.5)  # inotifywait prints nothing once its watch is set, so allow it half a second.
        try:
            singles = singles_loop(folders)
            burst_result = burst(folders, 0, "burst-", lambda: len(list(folders.outbox.glob("burst-*.png"))))
        finally:
            # Stopping bash alone first lets it reap its last vips, so their CPU time counts as the
            # benchmark's. Then inotifywait, still in the process group, is stopped too.
            loop.send_signal(signal.SIGTERM)
            loop.wait()
            os.killpg(loop.pid, signal.SIGTERM)
        return {"latency": summarize(singles), "burst": burst_result, "vips_copy_peak_mib": vips_copy_peak()}


def vips_copy_peak() -> float:
    """Return the maximum resident set size of one `vips copy` of a 64x64 PNG, in MiB."""
    with tempfile.TemporaryDirectory() as folder:
        source = make_pngs(Path(folder), "peak", 1)[0]
        report = subprocess.run(
            ["/usr/bin/time", "-v", "vips", "copy", str(source), f"{folder}/copy.png"],
            capture_output=True, text=True, check=True,
        ).stderr
    line = next(line for line in report.splitlines() if "Maximum resident set size" in line)
    return round(int(line.split()[-1]) / 1024, 1)


def summarize(rows: list) -> dict:
    keys = rows[0].keys()
    return {key: {"median_ms": round(statistics.median(row[key] for row in rows) * 1000, 1),
                  "p90_ms": round(sorted(row[key] for row in rows)[int(len(rows) * 0.9) - 1] * 1000, 1)}
            for key in keys}


def main() -> None:
    # `timeout` in bench/run sends SIGTERM. Raising SystemExit runs the finally blocks, which stop the
    # daemon or the loop, instead of leaving them running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("daemon: stopped by SIGTERM before the end"))
    if not BINARY.exists():
        sys.exit(f"daemon: {BINARY} is missing; run 'swift build -c release'")
    results_path = ROOT / "bench/results/daemon.json"
    results_path.parent.mkdir(exist_ok=True)
    started = time.time()
    meter = LoadMeter()
    report = {"settle_seconds": SETTLE, "singles": SINGLES, "burst": BURST}
    report["kontextd"] = run_kontextd(SETTLE, with_burst=True)
    report["kontextd_settle_sweep"] = {str(settle): run_kontextd(settle, with_burst=False)["latency"]
                                       for settle in SETTLE_SWEEP}
    report["inotifywait + vips copy"] = run_loop()
    report["machine"] = meter.report()
    report["seconds"] = round(time.time() - started, 1)
    results_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"daemon: wrote {results_path.relative_to(ROOT)} in {report['seconds']} s")


if __name__ == "__main__":
    main()

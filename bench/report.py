#!/usr/bin/env python3
"""Print the benchmark tables from bench/results/*.json and write them to bench/results/tables.md."""
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ("decode", "scale", "encode")


def per_photo_mean(photos: dict, stage: str, pick=statistics.median) -> float:
    """Return the mean over the photos of each photo's median (or `pick`) time, in milliseconds."""
    return statistics.mean(pick(times[stage]) for times in photos.values())


def stage_table(stages: dict) -> list:
    rows = ["| stage | kontextd ms | pyvips ms | kontextd / pyvips, median (min) | Pillow ms | kontextd / Pillow, median (min) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    totals = {tool: [0.0, 0.0] for tool in stages}
    for stage in STAGES:
        times = {tool: per_photo_mean(photos, stage) for tool, photos in stages.items()}
        minima = {tool: per_photo_mean(photos, stage, min) for tool, photos in stages.items()}
        for tool in stages:
            totals[tool][0] += times[tool]
            totals[tool][1] += minima[tool]
        rows.append(stage_row(stage, times, minima))
    rows.append(stage_row("**all three**", {tool: pair[0] for tool, pair in totals.items()},
                          {tool: pair[1] for tool, pair in totals.items()}))
    return rows


def stage_row(label: str, times: dict, minima: dict) -> str:
    cells = [label, f"{times['kontextd']:.1f}"]
    for other in ("pyvips", "Pillow"):
        cells += [f"{times[other]:.1f}",
                  f"{times['kontextd'] / times[other]:.2f} ({minima['kontextd'] / minima[other]:.2f})"]
    return "| " + " | ".join(cells) + " |"


def chain_table(imaging: dict) -> list:
    chain = imaging["chain"]
    medians = {name: statistics.mean(photo["median"] for photo in photos.values()) * 1000
               for name, photos in chain.items()}
    minima = {name: statistics.mean(photo["min"] for photo in photos.values()) * 1000
              for name, photos in chain.items()}
    rows = ["| command | ms per photo, median (min) | kontextd / this, median (min) | peak RSS MiB | output | "
            "mean abs. difference from kontextd |",
            "| --- | ---: | ---: | ---: | --- | ---: |"]
    for name, milliseconds in medians.items():
        memory = imaging["peak_memory_mib"].get(name, "")
        check = imaging["outputs"].get(name)
        output = ", ".join(check["output"]) if check else ""
        difference = check["mean_abs_difference_vs_kontextd"] if check else ""
        ratio = ""
        if not name.startswith("startup"):
            ratio = f"{medians['kontextd edit'] / milliseconds:.2f} ({minima['kontextd edit'] / minima[name]:.2f})"
        rows.append(f"| {name} | {milliseconds:.1f} ({minima[name]:.1f}) | {ratio} | {memory} | {output} | {difference} |")
    return rows


def scale_split_table(imaging: dict) -> list:
    rows = ["| cores | crop (copy) ms | Lanczos resize ms |", "| --- | ---: | ---: |"]
    for label, key in (("both", "stages"), ("one (taskset -c 0)", "stages_one_core")):
        photos = imaging[key]["kontextd"]
        rows.append(f"| {label} | {per_photo_mean(photos, 'crop'):.1f} | {per_photo_mean(photos, 'resize'):.1f} |")
    return rows


def edit_stage_table(imaging: dict) -> list:
    logs = imaging["edit_stage_ms"]
    stages = list(next(iter(logs.values())))
    rows = ["| " + " | ".join(stages) + " |", "|" + " ---: |" * len(stages)]
    rows.append("| " + " | ".join(f"{statistics.mean(log[stage] for log in logs.values()):.1f}" for stage in stages) + " |")
    return rows


def latency_table(daemon: dict) -> list:
    rows = ["| settle s | rename to claim | claim to start | job run | finish to delivered | "
            "rename to delivered (p90) | delivered minus settle |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    sweeps = {str(daemon["settle_seconds"]): daemon["kontextd"]["latency"], **daemon["kontextd_settle_sweep"]}
    for settle, latency in sorted(sweeps.items(), key=lambda item: float(item[0])):
        median = {key: value["median_ms"] for key, value in latency.items()}
        rows.append(
            f"| {float(settle):g} | {median['claim']:.0f} | {median['start'] - median['claim']:.0f} | "
            f"{median['finish'] - median['start']:.0f} | {median['delivered'] - median['finish']:.0f} | "
            f"{median['delivered']:.0f} ({latency['delivered']['p90_ms']:.0f}) | "
            f"{median['delivered'] - float(settle) * 1000:.0f} |"
        )
    loop = daemon["inotifywait + vips copy"]["latency"]["delivered"]
    rows.append(f"| inotifywait + vips copy (no settle) | | | | | {loop['median_ms']:.0f} ({loop['p90_ms']:.0f}) | |")
    return rows


def burst_table(daemon: dict) -> list:
    rounds = daemon["kontextd"]["bursts"]
    loop = daemon["inotifywait + vips copy"]["burst"]
    rows = [
        "| | files | rename to last delivery s | jobs/s | kontextd / loop | first claim to last finish, jobs/s | "
        "CPU ms per job | peak memory MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for index, result in enumerate(rounds):
        steady = result["files"] / result["first_claim_to_last_finish_seconds"]
        rows.append(
            f"| kontextd round {index + 1} (settle {daemon['settle_seconds']:g} s, 2 workers) | {result['files']} | "
            f"{result['seconds']:.2f} | {result['jobs_per_second']:.0f} | "
            f"{result['jobs_per_second'] / loop['jobs_per_second']:.1f} | {steady:.0f} | "
            f"{result['cpu_seconds'] * 1000 / result['files']:.1f} | {result['vm_hwm_mib']} (VmHWM; idle RSS "
            f"{result['idle_rss_mib']}) |"
        )
    rows.append(
        f"| inotifywait + vips copy | {loop['files']} | {loop['seconds']:.2f} | {loop['jobs_per_second']:.0f} | | | | "
        f"{daemon['inotifywait + vips copy']['vips_copy_peak_mib']} (per vips copy) |"
    )
    return rows


def main() -> None:
    imaging = json.loads((RESULTS / "imaging.json").read_text())
    daemon = json.loads((RESULTS / "daemon.json").read_text())
    sections = [
        ("Imaging stages in process, both cores (median per photo, mean of 5 photos)", stage_table(imaging["stages"])),
        ("Imaging stages in process, one core (taskset -c 0)", stage_table(imaging["stages_one_core"])),
        ("Whole chain as a command (hyperfine, median per photo, mean of 5 photos)", chain_table(imaging)),
        ("kontextd's scale stage in two steps (ms)", scale_split_table(imaging)),
        ("Stage timings in the job log of `kontextd edit` (ms, mean of 5 photos)", edit_stage_table(imaging)),
        ("Single-file latency in ms (medians)", latency_table(daemon)),
        (f"Burst of {daemon['burst']} 64x64 PNGs", burst_table(daemon)),
    ]
    text = ""
    for title, rows in sections:
        text += f"### {title}\n\n" + "\n".join(rows) + "\n\n"
    for name, part in (("imaging", imaging), ("daemon", daemon)):
        load = part["machine"]
        text += (f"{name}: {load['wall_seconds']} s, benchmark {load['cpu_seconds_benchmark']} CPU-s and other processes "
                 f"{load['cpu_seconds_other_processes']} CPU-s of {load['cpu_seconds_available']} available.\n")
    text += f"vipsthumbnail shrink-on-load factors: {imaging['vipsthumbnail_preshrink']}.\n"
    (RESULTS / "tables.md").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()

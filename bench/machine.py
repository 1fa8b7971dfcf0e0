"""CPU time used on the machine during a benchmark, split into the benchmark's own and other processes'."""
import os
import resource
from pathlib import Path


def busy_cpu_seconds() -> float:
    """Return the CPU time that all processes used since boot, in seconds (idle and iowait excluded)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """Return the CPU time of this process and of every child it has waited for, in seconds."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class LoadMeter:
    """Measures the CPU time that other processes used while the benchmark ran."""

    def __init__(self) -> None:
        self.busy = busy_cpu_seconds()
        self.own = own_cpu_seconds()
        self.wall = float(Path("/proc/uptime").read_text().split()[0])

    def report(self) -> dict:
        wall = float(Path("/proc/uptime").read_text().split()[0]) - self.wall
        busy = busy_cpu_seconds() - self.busy
        own = own_cpu_seconds() - self.own
        return {
            "wall_seconds": round(wall, 1),
            "cpu_seconds_available": round(wall * os.cpu_count(), 1),
            "cpu_seconds_benchmark": round(own, 1),
            "cpu_seconds_other_processes": round(max(busy - own, 0.0), 1),
            "load_average": os.getloadavg(),
        }

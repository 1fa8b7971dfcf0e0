#!/usr/bin/env python3
"""Imaging benchmark: decode, Kontext scale and JPEG encode of the photos in Tests/Photos, with kontextd,
libvips, ImageMagick and Pillow side by side. Run by bench/run; writes bench/results/imaging.json.

Every tool does the same operation: a centre crop to the Kontext aspect ratio, Lanczos-3 to the Kontext
size (1328x800 for 2560x1600 photos) and a JPEG at quality 90 with 4:4:4 chroma.
"""
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kontext_geometry import kontext_crop
from machine import LoadMeter

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BINARY = ROOT / ".build/release/kontextd"
STAGES_BINARY = ROOT / ".build/release/kontextd-bench"
CONVERT = "/usr/bin/convert"  # Debian's ImageMagick, never a wrapper earlier on PATH.
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
PASSES = int(os.environ.get("BENCH_PASSES", "2"))
PHOTOS = sorted((ROOT / "Tests/Photos").glob("*.jpg"))


def milliseconds(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def stages_kontextd(pin: list) -> dict:
    """Run kontextd-bench and return {photo: {stage: [ms, ...]}}."""
    command = [*pin, str(STAGES_BINARY), "imaging", "--repeat", str(REPEATS), *map(str, PHOTOS)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    results = {}
    for line in output.splitlines():
        row = json.loads(line)
        assert row["output"] == [1328, 800], f"kontextd scaled {row['photo']} to {row['output']}, not 1328x800"
        results[row["photo"]] = {stage: row[f"{stage}_ms"] for stage in ("decode", "scale", "encode", "crop", "resize")}
    return results


def stages_pillow() -> dict:
    from PIL import Image

    results = {}
    for photo in PHOTOS:
        data = photo.read_bytes()
        times = {"decode": [], "scale": [], "encode": []}
        for round_index in range(REPEATS + 1):
            start = time.perf_counter()
            image = Image.open(io.BytesIO(data))
            image.load()
            decode = milliseconds(start)

            start = time.perf_counter()
            width, height, box = kontext_crop(image.width, image.height)
            scaled = image.resize((width, height), Image.Resampling.LANCZOS, box=box)
            scale = milliseconds(start)

            start = time.perf_counter()
            buffer = io.BytesIO()
            scaled.save(buffer, "JPEG", quality=90, subsampling=0)
            encode = milliseconds(start)
            if round_index > 0:  # The first round warms caches and allocators.
                times["decode"].append(decode)
                times["scale"].append(scale)
                times["encode"].append(encode)
        results[photo.name] = times
    return results


def stages_pyvips() -> dict:
    """Time libvips in process. copy_memory() forces each lazy stage to run before the clock stops."""
    import pyvips

    pyvips.cache_set_max(0)  # Without this, libvips would serve the repeats from its operation cache.
    results = {}
    for photo in PHOTOS:
        data = photo.read_bytes()
        times = {"decode": [], "scale": [], "encode": []}
        for round_index in range(REPEATS + 1):
            start = time.perf_counter()
            image = pyvips.Image.new_from_buffer(data, "").copy_memory()
            decode = milliseconds(start)

            start = time.perf_counter()
            width, height, (left, top, right, bottom) = kontext_crop(image.width, image.height)
            cropped = image.crop(left, top, right - left, bottom - top)
            # gap=0 turns off libvips' box pre-shrink, so this is Lanczos-3 alone, as in the other tools.
            scaled = cropped.resize(
                width / cropped.width, vscale=height / cropped.height, kernel="lanczos3", gap=0
            ).copy_memory()
            scale = milliseconds(start)
            assert (scaled.width, scaled.height) == (width, height), f"pyvips gave {scaled.width}x{scaled.height}"

            start = time.perf_counter()
            scaled.jpegsave_buffer(Q=90, strip=True)
            encode = milliseconds(start)
            if round_index > 0:
                times["decode"].append(decode)
                times["scale"].append(scale)
                times["encode"].append(encode)
        results[photo.name] = times
    return results


def chain_commands(out: Path) -> dict:
    """Return the decode -> scale -> encode chain as one command per tool, with {photo} for the input's stem."""
    photos = ROOT / "Tests/Photos"
    return {
        "kontextd edit": f"{BINARY} edit {photos}/{{photo}}.jpg --size kontext -o {out}/kontextd-{{photo}}.jpg",
        "vips thumbnail_image (full decode)": (
            f"vips thumbnail_image {photos}/{{photo}}.jpg {out}/vips-{{photo}}.jpg[Q=90] 1328 --height 800 --crop centre"
        ),
        "vipsthumbnail (shrink-on-load allowed)": (
            f"vipsthumbnail {photos}/{{photo}}.jpg -s 1328x800 -m centre -o {out}/vipsthumbnail-{{photo}}.jpg[Q=90]"
        ),
        "ImageMagick convert": (
            f"{CONVERT} {photos}/{{photo}}.jpg -crop 2560x1542+0+29 +repage -filter Lanczos -resize 1328x800! "
            f"-sampling-factor 1x1 -quality 90 {out}/magick-{{photo}}.jpg"
        ),
        "Pillow script": f"{sys.executable} {BENCH}/pillow_chain.py {photos}/{{photo}}.jpg {out}/pillow-{{photo}}.jpg",
    }


def startup_commands() -> dict:
    """Commands that only start a tool, so the chain figures can be read without process start-up."""
    return {
        "startup: python3 + import PIL": f"{sys.executable} -c 'from PIL import Image'",
        "startup: vips --version": "vips --version",
        "startup: kontextd --version": f"{BINARY} --version",
    }


def output_of(command: str) -> str | None:
    """Return the output path that a chain command writes, without libvips' [Q=90] options."""
    paths = [word.split("[")[0] for word in command.split() if word.split("[")[0].endswith(".jpg")]
    return paths[-1] if len(paths) > 1 else None


def run_hyperfine(commands: dict, out: Path, passes: int) -> dict:
    """Time every command on every photo with hyperfine, in `passes` passes of alternating command order.

    Other processes on a shared machine load it unevenly, and hyperfine runs one command's runs back to
    back, so the passes spread each command over the whole measuring time. Returns
    {name: {photo: {"median": s, "min": s, "times": [s, ...]}}} over the runs of all passes.
    """
    stems = ",".join(photo.stem for photo in PHOTOS)
    times: dict = {}
    for run in range(passes):
        order = list(commands.items()) if run % 2 == 0 else list(reversed(commands.items()))
        for name, command in order:
            export = out / "hyperfine.json"
            arguments = ["hyperfine", "-N", "--style", "none", "--warmup", "1", "--runs", str(REPEATS), "-L", "photo", stems]
            if target := output_of(command):
                # kontextd edit never replaces a file, so every timed run of every tool starts without the output.
                arguments += ["--prepare", f"rm -f {target}"]
            arguments += ["--export-json", str(export), command]
            finished = subprocess.run(arguments, capture_output=True, text=True)
            if finished.returncode != 0:  # hyperfine's warnings about outliers are expected here, its errors not.
                sys.exit(f"imaging: hyperfine failed on {name}:\n{finished.stderr}")
            for entry in json.loads(export.read_text())["results"]:
                times.setdefault(name, {}).setdefault(entry["parameters"]["photo"], []).extend(entry["times"])
    return {name: {photo: {"median": statistics.median(values), "min": min(values), "times": values}
                   for photo, values in photos.items()}
            for name, photos in times.items()}


def edit_stage_timings(out: Path) -> dict:
    """Return the stage timings that `kontextd edit --log` records for each photo, in milliseconds."""
    timings = {}
    for photo in PHOTOS:
        target, log = out / f"edit-{photo.stem}.jpg", out / f"edit-{photo.stem}.job.json"
        subprocess.run([str(BINARY), "edit", str(photo), "--size", "kontext", "-o", str(target), "--log", str(log)],
                       check=True, stdout=subprocess.DEVNULL)
        stages = json.loads(log.read_text())["timings"]
        timings[photo.name] = {stage["stage"]: round(stage["seconds"] * 1000, 1) for stage in stages}
    return timings


def stages_python(library: str, pin: list) -> dict:
    """Run stages_pillow or stages_pyvips in a child process (under `pin`, such as taskset) and parse its JSON."""
    command = [*pin, sys.executable, str(Path(__file__).resolve()), "stages", library]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def measure_stages(passes: int, pin: list) -> dict:
    """Run the in-process stage timings of each tool in `passes` passes of alternating order, then merge them.

    `pin` prefixes each child process, so ["taskset", "-c", "0"] measures every tool on one core.
    """
    runners = [
        ("kontextd", lambda: stages_kontextd(pin)),
        ("Pillow", lambda: stages_python("Pillow", pin)),
        ("pyvips", lambda: stages_python("pyvips", pin)),
    ]
    merged: dict = {}
    for run in range(passes):
        for tool, runner in runners if run % 2 == 0 else reversed(runners):
            for photo, stages in runner().items():
                for stage, values in stages.items():
                    merged.setdefault(tool, {}).setdefault(photo, {}).setdefault(stage, []).extend(values)
    return merged


def peak_memory(commands: dict, out: Path) -> dict:
    """Return each command's largest maximum resident set size over the photos, in MiB."""
    peaks = {}
    for name, template in commands.items():
        largest = 0
        for photo in PHOTOS:
            command = template.replace("{photo}", photo.stem)
            for path in out.glob(f"*-{photo.stem}.jpg"):
                path.unlink()
            report = subprocess.run(
                ["/usr/bin/time", "-v", "sh", "-c", command], capture_output=True, text=True, check=True
            ).stderr
            kilobytes = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
            largest = max(largest, kilobytes)
        peaks[name] = round(largest / 1024, 1)
    return peaks


def check_outputs(commands: dict, out: Path) -> dict:
    """Check each tool's output size and chroma, and its mean absolute difference from kontextd's output."""
    import pyvips

    checks = {}
    prefixes = {"kontextd edit": "kontextd", "vips thumbnail_image (full decode)": "vips",
                "vipsthumbnail (shrink-on-load allowed)": "vipsthumbnail", "ImageMagick convert": "magick",
                "Pillow script": "pillow"}
    for name in commands:
        differences, formats = [], set()
        for photo in PHOTOS:
            path = out / f"{prefixes[name]}-{photo.stem}.jpg"
            reference = pyvips.Image.new_from_file(str(out / f"kontextd-{photo.stem}.jpg"))
            image = pyvips.Image.new_from_file(str(path))
            formats.add(f"{image.width}x{image.height} {image.get('jpeg-chroma-subsample')}")
            differences.append((image - reference).abs().avg())
        checks[name] = {"output": sorted(formats), "mean_abs_difference_vs_kontextd": round(statistics.mean(differences), 3)}
    return checks


def vipsthumbnail_preshrink() -> list:
    """Return the JPEG shrink-on-load factor that vipsthumbnail picks for each photo (1 means a full decode)."""
    factors = []
    for photo in PHOTOS:
        with tempfile.TemporaryDirectory() as folder:
            log = subprocess.run(
                ["vipsthumbnail", str(photo), "-s", "1328x800", "-m", "centre", "-o", f"{folder}/out.jpg[Q=90]"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True,
                env=dict(os.environ, VIPS_INFO="1"),
            ).stdout
        factors.append(int(re.search(r"loading with factor (\d+) pre-shrink", log).group(1)))
    return factors


def versions() -> dict:
    import PIL
    import pyvips

    def first_line(command: list) -> str:
        return subprocess.run(command, capture_output=True, text=True).stdout.splitlines()[0].strip()

    return {
        "kontextd": first_line([str(BINARY), "--version"]) if BINARY.exists() else "missing",
        "libvips": first_line(["vips", "--version"]),
        "pyvips": f"{pyvips.__version__} on libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        "ImageMagick": first_line([CONVERT, "-version"]),
        "Pillow": PIL.__version__,
        "Python": sys.version.split()[0],
        "hyperfine": first_line(["hyperfine", "--version"]),
    }


def main() -> None:
    missing = [tool for tool in ("hyperfine", "vips", "vipsthumbnail", CONVERT, "/usr/bin/time", "taskset") if not shutil.which(tool)]
    if missing or not STAGES_BINARY.exists():
        sys.exit(f"imaging: missing {missing or [str(STAGES_BINARY)]}; run bench/install-tools and 'swift build -c release'")
    results_path = BENCH / "results/imaging.json"
    results_path.parent.mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="kontextd-bench-imaging."))
    started = time.time()
    meter = LoadMeter()
    report = {"repeats": REPEATS, "passes": PASSES, "photos": [photo.name for photo in PHOTOS]}
    report["stages"] = measure_stages(PASSES, pin=[])
    report["stages_one_core"] = measure_stages(PASSES, pin=["taskset", "-c", "0"])
    commands = chain_commands(out)
    timed = dict(commands, **startup_commands())
    report["chain"] = run_hyperfine(timed, out, PASSES)
    report["edit_stage_ms"] = edit_stage_timings(out)
    report["chain_commands"] = timed
    report["outputs"] = check_outputs(commands, out)
    report["peak_memory_mib"] = peak_memory(commands, out)
    report["vipsthumbnail_preshrink"] = vipsthumbnail_preshrink()
    report["versions"] = versions()
    report["machine"] = meter.report()
    report["seconds"] = round(time.time() - started, 1)
    results_path.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(out)
    print(f"imaging: wrote {results_path.relative_to(ROOT)} in {report['seconds']} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["stages"]:
        print(json.dumps({"Pillow": stages_pillow, "pyvips": stages_pyvips}[sys.argv[2]]()))
    else:
        main()

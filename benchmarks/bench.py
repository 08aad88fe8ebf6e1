"""Speed and memory of ``ingest`` against the floor, side by side on the same corpora.

For each corpus it runs, as separate processes on a warm page cache:

* the floor (``benchmarks/floor.py``: walk, read, decode, write one JSON line per file);
* ``ingest --jobs 1`` and ``ingest --jobs 2``;
* ``ingest --engine dask --jobs 2`` when dask is importable, ``news_ingest.executors.dask`` exists
  and ``ingest --help`` lists ``--engine`` (otherwise the row says why it was skipped);

and prints a Markdown table per corpus: wall seconds, files/s, MB/s of input (MB = 10^6 bytes),
peak RSS of the whole process tree (MiB), the time as a ratio to the floor's, and the records
written (checked: exit code 0 and one record per input file). At the end, the targets with
PASS/FAIL.

Corpora: ``10k`` and ``30k`` synthetic files (``benchmarks/generate.py``, generated once into
/tmp/news-ingest-bench/ and reused while its marker file matches N, seed and the generator),
and ``ant``, the real ANT corpus (../shared/corpora/ant-multisource.tar.gz from the repo root,
unpacked once into /tmp/news-ingest-bench/ant/; skipped, with a message, when missing). Any
``<N>`` or ``<N>k`` names a synthetic corpus of that size.

Memory: a thread polls /proc every 50 ms and sums the RSS of the command's process and all its
descendants (for ``--jobs N``: the parent, the forkserver and every worker), keeping the peak.
Each command also runs under ``/usr/bin/time -f %M`` when available, which gives the kernel's
exact peak of the largest single process; the reported peak is the larger of the two (the tree
sum at any instant is at least any one process, so polling can only under-read it).

Run:
    make bench                                  # 10k, 30k, ant
    python benchmarks/bench.py --quick          # 1k and 3k synthetic files, no ANT
    python benchmarks/bench.py --corpora 10k,ant --repeat 3 --json /tmp/bench.json
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from floor import walk  # noqa: E402
from generate import SEEDS_DIR, generate  # noqa: E402

WORK = Path("/tmp/news-ingest-bench")
ANT_ARCHIVE = REPO.parent / "shared" / "corpora" / "ant-multisource.tar.gz"
ANT_FILES = 31_525
CITATION = (
    "ANT Corpus v2.1 (Chouigui, Ben Khiroun, Elayeb, 'An Arabic Multi-source News Corpus: "
    "Experimenting on Single-document Extractive Summarization', Arabian Journal for Science "
    "and Engineering 46(8), 2021; antcorpus.github.io)"
)
MARKER = ".bench-corpus.json"  # not *.txt: never walked by ingest or the floor
POLL_SECONDS = 0.05
TIME_BIN = "/usr/bin/time"
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024

# Targets (see README.md).
JOBS1_MAX_RATIO = 1.5
JOBS2_MAX_RATIO = 0.85
RSS_LIMIT_MIB = 150.0
RSS_STABILITY = 0.20
DASK_MAX_RATIO_TO_JOBS2 = 1.5


# --- corpora ------------------------------------------------------------------------------------


@dataclass
class Corpus:
    name: str
    path: Path
    expected_records: int
    files: int = 0
    bytes: int = 0
    synthetic: bool = True
    runs: list[Run] = field(default_factory=list)


def _generator_digest() -> str:
    """Changes whenever the generator or the seeds change: the corpus is then rebuilt."""
    digest = hashlib.sha256((HERE / "generate.py").read_bytes())
    for seed in sorted(SEEDS_DIR.glob("*.txt")):
        digest.update(seed.read_bytes())
    return digest.hexdigest()[:16]


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def synthetic_corpus(n: int, seed: int) -> Corpus:
    folder = WORK / f"syn-{n}-seed{seed}"
    want = {"n": n, "seed": seed, "generator": _generator_digest()}
    marker = _read_marker(folder)
    if marker is None or {k: marker.get(k) for k in want} != want:
        if folder.exists():
            shutil.rmtree(folder)
        partial = WORK / f".syn-{n}-seed{seed}.partial"
        if partial.exists():
            shutil.rmtree(partial)
        print(f"generating {n:,} synthetic files into {folder} (seed {seed}) …", flush=True)
        started = time.perf_counter()
        total = generate(n, partial, seed)
        (partial / MARKER).write_text(json.dumps({**want, "bytes": total}), encoding="utf-8")
        partial.rename(folder)
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return Corpus(_label(n), folder, n)


def ant_corpus() -> Corpus | None:
    folder = WORK / "ant"
    if not ANT_ARCHIVE.is_file():
        print(f"ANT archive not found at {ANT_ARCHIVE}: skipping the ANT corpus", flush=True)
        return None
    stat = ANT_ARCHIVE.stat()
    want = {"archive": str(ANT_ARCHIVE), "size": stat.st_size}
    marker = _read_marker(folder)
    if marker is None or {k: marker.get(k) for k in want} != want:
        if folder.exists():
            shutil.rmtree(folder)
        partial = WORK / ".ant.partial"
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        print(f"unpacking {ANT_ARCHIVE} into {folder} …", flush=True)
        with tarfile.open(ANT_ARCHIVE) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(partial, filter="data")
            else:  # Python < 3.10.12 / 3.11.4
                tf.extractall(partial)
        (partial / MARKER).write_text(json.dumps(want), encoding="utf-8")
        partial.rename(folder)
    return Corpus("ant", folder, ANT_FILES, synthetic=False)


def _label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 and n else str(n)


def _size(name: str) -> int:
    text = name.strip().lower()
    return int(text[:-1]) * 1000 if text.endswith("k") else int(text)


def warm_up(corpus: Corpus) -> None:
    """Read every file once, so the floor and ingest all see a warm page cache."""
    files = total = 0
    for path in walk(str(corpus.path)):
        with open(path, "rb") as fh:
            total += len(fh.read())
        files += 1
    corpus.files, corpus.bytes = files, total


# --- measuring one command ----------------------------------------------------------------------


@dataclass
class Run:
    label: str
    cmd: list[str]
    seconds: float | None = None  # best of the repeats
    seconds_all: list[float] = field(default_factory=list)
    peak_rss_mib: float | None = None  # max over repeats of max(tree sum polled, kernel 1-proc)
    tree_rss_mib: float | None = None  # polled tree sum
    max_proc_rss_mib: float | None = None  # /usr/bin/time %M
    procs: int = 0
    records: int | None = None
    returncodes: list[int] = field(default_factory=list)
    problem: str | None = None
    errors: list[str] = field(default_factory=list)  # the first error lines on stderr
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is None and self.problem is None


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, rss pages) of every process."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[21]))
    return table


def _tree_rss(root: int, skip_root: bool) -> tuple[int, int]:
    """Summed RSS bytes and the number of processes of ``root`` and its descendants."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total = count = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in table and not (skip_root and pid == root):
            total += table[pid][1] * PAGE
            count += 1
        stack.extend(children.get(pid, ()))
    return total, count


def measure(cmd: list[str], stderr_path: Path) -> tuple[float, int, float, float | None, int]:
    """Run ``cmd``: (wall seconds, exit code, peak tree RSS MiB, kernel max RSS MiB, procs)."""
    use_time = os.access(TIME_BIN, os.X_OK)
    time_out = stderr_path.with_suffix(".time")
    full = [TIME_BIN, "-f", "%M", "-o", str(time_out), *cmd] if use_time else cmd
    peak = [0, 0]
    done = threading.Event()
    with open(stderr_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=err)

        def poll() -> None:
            while not done.is_set():
                rss, count = _tree_rss(proc.pid, skip_root=use_time)
                peak[0] = max(peak[0], rss)
                peak[1] = max(peak[1], count)
                done.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        rc = proc.wait()
        seconds = time.perf_counter() - started
        done.set()
        poller.join()
    kernel = None
    if use_time:
        try:
            kernel = int(time_out.read_text().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            kernel = None
        time_out.unlink(missing_ok=True)
    return seconds, rc, peak[0] / MIB, kernel, peak[1]


def count_lines(path: Path) -> int:
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


# --- the commands -------------------------------------------------------------------------------


def find_python() -> str:
    """The interpreter with news_ingest installed: this one, or the repo's .venv."""
    if importlib.util.find_spec("news_ingest") is not None:
        return sys.executable
    venv = REPO / ".venv" / "bin" / "python"
    if venv.exists():
        return str(venv)
    sys.exit("news_ingest is not importable and there is no .venv: run `make test` first")


def ingest_cmd(python: str) -> list[str]:
    script = Path(python).parent / "ingest"
    if script.exists():
        return [str(script)]
    return [python, "-c", "import sys; from news_ingest.cli import main; sys.exit(main())"]


def dask_status(python: str, ingest: list[str]) -> str | None:
    """None when the dask engine can run, else why not."""
    probe = subprocess.run(
        [python, "-c", "import importlib.util as u, sys; "
         "sys.exit(0 if u.find_spec('dask') is None else 3 if u.find_spec("
         "'news_ingest.executors.dask') is None else 4)"],
        capture_output=True)
    if probe.returncode == 0:
        return "dask is not importable"
    if probe.returncode == 3:
        return "news_ingest.executors.dask does not exist"
    helptext = subprocess.run([*ingest, "--help"], capture_output=True, text=True).stdout
    if "--engine" not in helptext:
        return "`ingest --help` lists no --engine"
    return None


def plan(python: str, ingest: list[str], dask_skip: str | None) -> list[tuple[str, list[str]]]:
    """(label, argv with {dir} and {out} placeholders) of each run."""
    common = ["{dir}", "--out", "{out}", "--no-progress"]
    runs = [
        ("floor", [python, str(HERE / "floor.py"), "{dir}", "{out}"]),
        ("ingest --jobs 1", [*ingest, *common, "--jobs", "1"]),
        ("ingest --jobs 2", [*ingest, *common, "--jobs", "2"]),
    ]
    runs.append(("ingest --engine dask --jobs 2",
                 [*ingest, *common, "--engine", "dask", "--jobs", "2"] if not dask_skip else []))
    return runs


def bench_corpus(corpus: Corpus, runs: list[tuple[str, list[str]]], repeat: int,
                 dask_skip: str | None) -> None:
    outdir = WORK / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    corpus.runs = [Run(label, argv) for label, argv in runs]
    for run in corpus.runs:
        if not run.cmd:
            run.skipped = dask_skip
    for round_ in range(repeat):
        for run in corpus.runs:
            if run.skipped:
                continue
            slug = run.label.replace(" ", "").replace("-", "")
            out = outdir / f"{corpus.name}-{slug}.jsonl"
            cmd = [a.replace("{dir}", str(corpus.path)).replace("{out}", str(out))
                   for a in run.cmd]
            run.cmd = cmd
            err = outdir / f"{corpus.name}-{slug}.stderr"
            print(f"  [{round_ + 1}/{repeat}] {run.label} …", end=" ", flush=True)
            seconds, rc, tree, kernel, procs = measure(cmd, err)
            peak = max(tree, kernel or 0.0)
            print(f"{seconds:.2f} s, {peak:.0f} MiB", flush=True)
            run.seconds_all.append(seconds)
            run.seconds = min(run.seconds_all)
            run.peak_rss_mib = max(run.peak_rss_mib or 0.0, peak)
            run.tree_rss_mib = max(run.tree_rss_mib or 0.0, tree)
            if kernel is not None:
                run.max_proc_rss_mib = max(run.max_proc_rss_mib or 0.0, kernel)
            run.procs = max(run.procs, procs)
            run.returncodes.append(rc)
            records = count_lines(out) if out.exists() else 0
            run.records = records
            problems = []
            lines = err.read_text(encoding="utf-8", errors="replace").splitlines()
            errors = [ln for ln in lines if ln.lower().startswith("error")]
            if rc != 0:
                run.errors = errors[:5] or lines[-3:]
            # Every input must be accounted for: a record, or a named failure (exit 1). ANT has
            # two files with empty <TEXT> and <ABSTRACT>: ingest names them and makes up nothing.
            if rc not in (0, 1) or (rc == 1 and not errors):
                problems.append(f"exit code {rc}, {len(errors)} error line(s)")
            if records + len(errors) != corpus.expected_records:
                problems.append(f"{records:,} records + {len(errors)} failures, "
                                f"expected {corpus.expected_records:,} inputs")
            run.problem = "; ".join(problems) or None
            out.unlink(missing_ok=True)
            if rc == 0:
                err.unlink(missing_ok=True)


# --- reporting ----------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def table(corpus: Corpus) -> str:
    floor = corpus.runs[0].seconds
    mb = corpus.bytes / 1e6
    rows = [
        "| run | seconds | files/s | MB/s | peak RSS MiB | largest process MiB | processes "
        "| × floor | records |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in corpus.runs:
        if run.skipped:
            rows.append(f"| {run.label} | skipped: {run.skipped} |  |  |  |  |  |  |  |")
            continue
        s = run.seconds or 0.0
        ratio = s / floor if floor else None
        check = "ok" if run.ok else f"**{run.problem}**"
        rows.append(
            f"| {run.label} | {s:.2f} | {corpus.files / s:,.0f} | {mb / s:.1f} "
            f"| {_fmt(run.peak_rss_mib, '.0f')} | {_fmt(run.max_proc_rss_mib, '.0f')} "
            f"| {run.procs} | {_fmt(ratio, '.2f')} | {run.records:,} ({check}) |")
    for run in corpus.runs:
        if run.errors:
            rows.append(f"\n{run.label} said (first lines):\n")
            rows.extend(f"    {line}" for line in run.errors)
    return "\n".join(rows)


@dataclass
class Target:
    text: str
    corpus: str
    value: float | None
    limit: float
    status: str  # PASS, FAIL, SKIP


def _run(corpus: Corpus, label: str) -> Run | None:
    return next((r for r in corpus.runs if r.label == label), None)


def _failed(run: Run) -> str:
    """A time target fails, whatever the time, when its run failed: say so."""
    return " (the run failed: see its table)" if run.problem else ""


def evaluate(corpora: list[Corpus]) -> list[Target]:
    targets: list[Target] = []

    def add(text: str, corpus: str, value: float | None, limit: float, ok: bool | None) -> None:
        status = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        targets.append(Target(text, corpus, value, limit, status))

    for c in corpora:
        floor, j1, j2 = (_run(c, label) for label in
                         ("floor", "ingest --jobs 1", "ingest --jobs 2"))
        dask = _run(c, "ingest --engine dask --jobs 2")
        assert floor and j1 and j2 and dask
        f = floor.seconds or 0.0
        for run, limit in ((j1, JOBS1_MAX_RATIO), (j2, JOBS2_MAX_RATIO)):
            ratio = run.seconds / f if run.seconds and f else None
            add(f"{run.label} time ≤ {limit}× floor{_failed(run)}", c.name, ratio, limit,
                None if ratio is None else ratio <= limit and run.ok)
        for run in (j1, j2, dask):
            add(f"{run.label} peak RSS < {RSS_LIMIT_MIB:.0f} MiB", c.name, run.peak_rss_mib,
                RSS_LIMIT_MIB, None if run.skipped else (run.peak_rss_mib or 0) < RSS_LIMIT_MIB)
        ratio = dask.seconds / j2.seconds if dask.seconds and j2.seconds else None
        add(f"dask time ≤ {DASK_MAX_RATIO_TO_JOBS2}× ingest --jobs 2{_failed(dask)}", c.name,
            ratio, DASK_MAX_RATIO_TO_JOBS2,
            None if ratio is None else ratio <= DASK_MAX_RATIO_TO_JOBS2 and dask.ok)
    synthetic = sorted((c for c in corpora if c.synthetic), key=lambda c: c.files)
    if len(synthetic) >= 2:
        small, large = synthetic[0], synthetic[-1]
        a, b = _run(small, "ingest --jobs 1"), _run(large, "ingest --jobs 1")
        assert a and b
        if a.peak_rss_mib and b.peak_rss_mib:
            change = (b.peak_rss_mib - a.peak_rss_mib) / a.peak_rss_mib
            add(f"ingest --jobs 1 peak RSS within {RSS_STABILITY:.0%} between corpora "
                f"({a.peak_rss_mib:.0f} → {b.peak_rss_mib:.0f} MiB)",
                f"{small.name}→{large.name}", change, RSS_STABILITY,
                abs(change) <= RSS_STABILITY)
    return targets


def machine(python: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "kernel": platform.release(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    try:
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory_gib"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, ValueError):
        pass
    probe = subprocess.run(
        [python, "-c", "import sys, news_ingest; print(sys.version.split()[0], "
         "getattr(news_ingest, '__version__', '?'))"], capture_output=True, text=True)
    version, _, ingest_version = probe.stdout.strip().partition(" ")
    info["python"] = version
    info["news_ingest"] = ingest_version
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 and 3,000 synthetic files, no ANT (a fast check)")
    parser.add_argument("--corpora", default=None,
                        help="comma-separated: 10k, 30k, ant, or any N / Nk (default "
                             "10k,30k,ant)")
    parser.add_argument("--repeat", type=int, default=1, help="best of K runs (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--json", dest="json_path", metavar="FILE",
                        help="also write the figures to FILE as JSON")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target fails (not only when a run fails)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    names = ("1k,3k" if args.quick else "10k,30k,ant") if args.corpora is None else args.corpora
    try:
        wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
        sizes = {n: _size(n) for n in wanted if n != "ant"}
    except ValueError:
        parser.error(f"--corpora: cannot read '{names}'")

    python = find_python()
    ingest = ingest_cmd(python)
    dask_skip = dask_status(python, ingest)
    info = machine(python)
    WORK.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    info["load_average_start"] = [round(x, 2) for x in load_start]
    if load_start[0] > 0.5:
        print(f"warning: load average {load_start[0]:.2f}: other work is running; "
              "figures will be noisy")
    print(f"machine: {info['nproc']} cores (nproc), {info.get('cpu')}, "
          f"{info.get('memory_gib', '?')} GiB, Linux {info['kernel']}, "
          f"Python {info['python']}, news_ingest {info['news_ingest']}")
    if dask_skip:
        print(f"dask engine: skipped ({dask_skip})")

    corpora: list[Corpus] = []
    for name in wanted:
        corpus = ant_corpus() if name == "ant" else synthetic_corpus(sizes[name], args.seed)
        if corpus is not None:
            corpora.append(corpus)

    runs = plan(python, ingest, dask_skip)
    tables: list[str] = []
    for corpus in corpora:
        print(f"\n{corpus.name}: warming the page cache (one full read of {corpus.path}) …",
              flush=True)
        warm_up(corpus)
        bench_corpus(corpus, runs, args.repeat, dask_skip)
        kind = "synthetic aggregator-layout files" if corpus.synthetic else "ANT articles"
        head = (f"### {corpus.name}: {corpus.files:,} {kind}, {corpus.bytes / 1e6:.1f} MB "
                f"({corpus.path})")
        body = table(corpus)
        if not corpus.synthetic:
            body += f"\n\nFigures measured on the {CITATION}."
        tables.append(f"{head}\n\n{body}")

    targets = evaluate(corpora)
    load_end = os.getloadavg()
    print("\n## Results\n")
    print(f"Machine: {info['nproc']} cores (nproc), {info.get('cpu')}, "
          f"{info.get('memory_gib', '?')} GiB RAM, Linux {info['kernel']}, "
          f"Python {info['python']}, news_ingest {info['news_ingest']}. "
          f"Load average (1 min) {load_start[0]:.2f} before, {load_end[0]:.2f} after: "
          "anything else running on the machine skews the figures.")
    print(f"Best of {args.repeat} run(s) per command (peak RSS: the largest of the runs). "
          "Page cache warmed by one full read of each corpus before timing; caches were not "
          "dropped. Peak RSS: summed RSS of the process tree (parent + forkserver + workers), "
          "polled from /proc every 50 ms, or the kernel's peak of the largest single process "
          "(/usr/bin/time %M) when higher.\n")
    print("\n\n".join(tables))
    print("\nCommands (DIR: the corpus folder; OUT: a file in /tmp/news-ingest-bench/out/):\n")
    for label, argv in runs:
        if argv:
            text = shlex.join(argv).replace("{dir}", "DIR").replace("{out}", "OUT")
            print(f"- {label}: `{text}`")
    print("\n## Targets\n")
    for t in targets:
        if t.value is None:
            value = "–"
        elif "between" in t.text:
            value = f"{t.value:+.0%}"
        elif "RSS" in t.text:
            value = f"{t.value:.0f} MiB"
        else:
            value = f"{t.value:.2f}×"
        print(f"- {t.status} [{t.corpus}] {t.text}: {value}")
    failed_runs = [f"{c.name}: {r.label}: {r.problem}" for c in corpora for r in c.runs
                   if r.problem]
    for line in failed_runs:
        print(f"RUN FAILED {line}")
    counts = {s: sum(t.status == s for t in targets) for s in ("PASS", "FAIL", "SKIP")}
    print(f"\n{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped.")

    if args.json_path:
        doc = {
            "machine": {**info, "load_average_end": [round(x, 2) for x in load_end]},
            "settings": {"repeat": args.repeat, "seed": args.seed, "poll_seconds": POLL_SECONDS,
                         "warm_page_cache": True, "corpora": wanted},
            "corpora": [{**{k: v for k, v in asdict(c).items() if k not in ("runs", "path")},
                         "path": str(c.path),
                         "runs": [{**asdict(r), "ok": r.ok} for r in c.runs]}
                        for c in corpora],
            "targets": [asdict(t) for t in targets],
            "ant_citation": CITATION,
        }
        Path(args.json_path).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
        print(f"figures written to {args.json_path}")
    if failed_runs or (args.check and counts["FAIL"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

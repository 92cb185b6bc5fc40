"""How long do a backup and a restore of the benchmark site take, and how much memory?

    python bench/backup_bench.py [--skip-pg-dump]

Backs up the benchmark database ($BENCH_DATABASE_URL, built by bench/dataset.py: 100,000
papers, 20,000 summaries, 100,000 votes) with `manage.py backup` while another process keeps
writing summaries, votes and comments to it, then restores the file with `manage.py restore`
into a database of its own ($RESTORE_DATABASE_URL, by default ss_backup_restore on the same
server, dropped and created for each run). Then the same with PostgreSQL's own tools
(`backup --pg-dump`, pg_restore). Each command runs in a process of its own; the report
gives its wall time, its CPU time and its peak resident memory (from wait4). The rows the
writer added are deleted from the benchmark database afterwards.
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.pg import ensure_database  # noqa: E402

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ss_bench"
)
RESTORE_DATABASE_URL = os.environ.get(
    "RESTORE_DATABASE_URL",
    urlsplit(BENCH_DATABASE_URL)._replace(path="/ss_backup_restore").geturl(),
)


def environment(url):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    return {
        **clean,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-throwaway-key",
    }


def measured(label, args, url):
    """Run manage.py with ``args``; return wall seconds, CPU seconds and peak RSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{label} failed:\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    rss = usage.ru_maxrss / 1024
    print(f"  {label:<38} {wall:7.1f} s wall  {cpu:6.1f} s CPU  {rss:6.0f} MB peak RSS", flush=True)
    return {"wall": wall, "cpu": cpu, "rss": rss, "output": output}


def start_writer(stop_file, prefix):
    code = (
        "from tests.backup_activity import write_until;"
        f" write_until({str(stop_file)!r}, prefix={prefix!r})"
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment(BENCH_DATABASE_URL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_writer(writer, stop_file):
    Path(stop_file).touch()
    out, err = writer.communicate(timeout=120)
    if writer.returncode != 0:
        raise SystemExit(f"the writer failed:\n{err}")
    return int(out.split()[-1])


def remove_written(prefix):
    code = (
        "from summaries.models import Summary; from papers.models import Paper;"
        f" Summary.objects.filter(paper__bibtex_key__startswith={prefix!r}).delete();"
        f" Paper.objects.filter(bibtex_key__startswith={prefix!r}).delete()"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment(BENCH_DATABASE_URL),
        check=True,
        capture_output=True,
    )


def backup_while_busy(label, args, workdir):
    stop_file = Path(workdir) / f"stop-{uuid.uuid4().hex[:6]}"
    prefix = f"bench/busy-{uuid.uuid4().hex[:6]}-"
    writer = start_writer(stop_file, prefix)
    try:
        while not Path(str(stop_file) + ".started").exists():
            if writer.poll() is not None:
                raise SystemExit(f"the writer failed:\n{writer.stderr.read()}")
            time.sleep(0.1)
        result = measured(label, args, BENCH_DATABASE_URL)
    finally:
        result_writes = stop_writer(writer, stop_file)
        remove_written(prefix)
    result["writes"] = result_writes
    print(f"    (meanwhile {result_writes:,} summaries written, each with 3 votes and a comment)")
    return result


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GB RAM, {platform.system()} {platform.release()}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pg-dump", action="store_true")
    args = parser.parse_args(argv)
    subprocess.run(
        [sys.executable, "bench/dataset.py"],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": BENCH_DATABASE_URL},
        check=True,
    )
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as workdir:
        portable = Path(workdir) / "site.jsonl.gz"
        results["backup"] = backup_while_busy(
            "backup (portable, gzip'd JSON lines)", ["backup", str(portable)], workdir
        )
        print(f"    file: {portable.stat().st_size / 1e6:.0f} MB")
        ensure_database(RESTORE_DATABASE_URL, rebuild=True)
        results["restore"] = measured(
            "restore (portable) into an empty database",
            ["restore", str(portable)],
            RESTORE_DATABASE_URL,
        )
        if not args.skip_pg_dump:
            dump = Path(workdir) / "site.pgdump"
            results["pg_dump"] = backup_while_busy(
                "backup --pg-dump (pg_dump -Fc)", ["backup", "--pg-dump", str(dump)], workdir
            )
            print(f"    file: {dump.stat().st_size / 1e6:.0f} MB")
            ensure_database(RESTORE_DATABASE_URL, rebuild=True)
            results["pg_restore"] = measured(
                "restore of it (pg_restore)", ["restore", str(dump)], RESTORE_DATABASE_URL
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print()
    print("| step | wall | CPU | peak RSS |")
    print("|---|---:|---:|---:|")
    for name, result in results.items():
        print(
            f"| {name} | {result['wall']:.1f} s | {result['cpu']:.1f} s | {result['rss']:.0f} MB |"
        )


if __name__ == "__main__":
    main()

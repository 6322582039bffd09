"""Execute tslab notebooks headlessly with nbclient and check them (used by run-notebooks.test.ts).

    python run_notebooks.py --out DIR [--kernel aggstem-tslab] [--timeout 300] [--no-html] [--full] NB.ipynb ...

For each notebook:
  * runs every code cell on the kernel (cwd = the notebook's folder, AGGSTEM_SMALL=1 unless --full);
  * fails on any cell whose execute reply is not `ok`: `error` (tslab type or runtime errors, which
    it reports only as reply status + stderr text, never as an `error` output) and `abort` (tslab
    aborts the cell after a failing one, and nbclient does not raise for `abort`);
  * fails on unhandled promise rejections and uncaught exceptions (an un-awaited promise, a throwing
    timer): the cell replies `ok`, and tslab prints them after the reply, which nbclient drops. A
    preamble cell (not saved) records them in the kernel; a final sentinel cell (not saved) waits
    briefly and throws if any were recorded. Crash markers in stream outputs also fail;
  * checks the rich outputs declared in `metadata.aggstem.expect` (notebook: anywhere in it;
    cell: in that cell) are present and parse (JSON objects with the right shape, PNG signature,
    `<svg` ... `</svg>`, non-empty HTML);
  * writes the executed notebook to DIR/<name>.ipynb and (unless --no-html) exports it with
    `jupyter nbconvert --to html` to DIR/<name>.html.
Prints one JSON report on the last stdout line; exit code 0 when every notebook passed, 1 otherwise.
"""
import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PREAMBLE = """// aggstem notebook harness preamble (not saved; tslab mangles identifiers that start with __)
const aggstemHarnessCrashes: string[] = ((globalThis as any).aggstemHarnessCrashes = []);
process.on('unhandledRejection', (r: any) => aggstemHarnessCrashes.push('unhandled promise rejection: ' + String(r?.stack ?? r)));
process.on('uncaughtExceptionMonitor', (e: any) => aggstemHarnessCrashes.push('uncaught exception: ' + String(e?.stack ?? e)));"""
SENTINEL = r"""// aggstem notebook harness sentinel (not saved)
await new Promise((resolve) => setTimeout(resolve, 300));
{
  const crashes: string[] = (globalThis as any).aggstemHarnessCrashes;
  if (crashes.length > 0) throw new Error(`${crashes.length} unhandled error(s) while the notebook ran (an un-awaited promise?):\n${crashes.join('\n')}`);
}"""
CRASH_MARKERS = ("UnhandledPromiseRejection:", "UncaughtException:")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_value(mime, value):
    """Returns None when `value` is a well-formed `mime` output, else the reason."""
    if mime.startswith("application/") and mime.endswith("json"):
        if not isinstance(value, dict):
            return f"{mime} is a {type(value).__name__}, expected a JSON object"
        if mime == "application/vnd.plotly.v1+json":
            data = value.get("data")
            if not isinstance(data, list) or not data or not all(isinstance(t, dict) and "type" in t for t in data):
                return "plotly figure without traces (data must be a non-empty list of {type, ...})"
        if mime.startswith("application/vnd.vegalite"):
            if not any(k in value for k in ("mark", "layer", "hconcat", "vconcat", "concat", "facet", "repeat")):
                return "vega-lite spec without mark or view composition"
        return None
    if not isinstance(value, str):
        value = "".join(value) if isinstance(value, list) else value
    if not isinstance(value, str) or not value.strip():
        return f"{mime} is empty"
    if mime == "image/png":
        try:
            raw = base64.b64decode(value, validate=False)
        except Exception as e:  # noqa: BLE001 - any decoding failure is a bad output
            return f"image/png is not base64 ({e})"
        if not raw.startswith(PNG_SIGNATURE):
            return "image/png does not start with the PNG signature"
    elif mime == "image/svg+xml":
        if "<svg" not in value or "</svg>" not in value:
            return "image/svg+xml has no <svg>...</svg>"
    return None


def output_texts(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            yield o.get("name", ""), o.get("text", "")


def rich_outputs(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") in ("display_data", "execute_result", "update_display_data"):
            yield o.get("data", {})


def write_atomic(path, text):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the result is an ordinary artifact
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_one(path, args):
    name = os.path.splitext(os.path.basename(path))[0]
    rep = {"name": name, "path": os.path.abspath(path), "ok": False, "failures": [], "cells": [], "mimeCounts": {}}
    t0 = time.time()
    nb = nbformat.read(path, as_version=4)
    ks = nb.metadata.get("kernelspec", {}).get("name")
    if ks != args.kernel:
        rep["failures"].append(f"notebook kernelspec is {ks!r}, expected {args.kernel!r}")
    preamble = nbformat.v4.new_code_cell(PREAMBLE)
    sentinel = nbformat.v4.new_code_cell(SENTINEL)
    nb.cells = [preamble] + nb.cells + [sentinel]
    statuses = {}

    def on_executed(cell, cell_index, execute_reply):
        statuses[cell_index - 1] = execute_reply.get("content", {}).get("status")  # notebook's own numbering

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        # Run on after a failure: tslab answers the next cell with `abort` (tslab #19), and later
        # cells show whether the failure cascades. nbclient raises only for `error`, never `abort`.
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_executed=on_executed,
    )
    try:
        client.execute()
    except CellExecutionError as e:
        rep["failures"].append(f"cell execution failed: {str(e)[-3000:]}")
    except Exception as e:  # noqa: BLE001 - timeouts, dead kernels, start-up failures all fail the notebook
        rep["failures"].append(f"{type(e).__name__}: {str(e)[-3000:]}")
    nb.cells = nb.cells[1:-1]
    sentinel_status = statuses.get(len(nb.cells))

    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        status = statuses.get(i)
        stderr = "".join(t for n, t in output_texts(cell) if n == "stderr")
        mimes = sorted({m for d in rich_outputs(cell) for m in d})
        rep["cells"].append({"index": i, "status": status, "mimes": mimes, "stderr": stderr[-2000:]})
        head = cell.source.strip().split("\n")[0][:80]
        if status is None:
            rep["failures"].append(f"cell {i} ({head}): not executed")
        elif status != "ok":
            rep["failures"].append(f"cell {i} ({head}): reply status {status!r}" + (f"; stderr: {stderr[-1500:]}" if stderr else ""))
        for _, text in output_texts(cell):
            if any(m in text for m in CRASH_MARKERS):
                rep["failures"].append(f"cell {i} ({head}): {text.strip()[-1500:]}")
    if sentinel_status != "ok" and not any("reply status" in f or "not executed" in f for f in rep["failures"]):
        err = "".join(t for n, t in output_texts(sentinel) if n == "stderr")
        rep["failures"].append(f"after the last cell: {err.strip()[-2000:] or f'sentinel reply status {sentinel_status!r}'}")

    counts = rep["mimeCounts"]
    for i, cell in enumerate(nb.cells):
        for data in rich_outputs(cell):
            for mime, value in data.items():
                counts[mime] = counts.get(mime, 0) + 1
                # PNGs inlined in HTML (showGrid / compare panels) must load in the browser too.
                if mime == "text/html":
                    html = "".join(value) if isinstance(value, list) else str(value)
                    k = html.count('src="data:image/png;base64,') if 'class="aggstem-grid"' in html else 0
                    if k:
                        counts["embedded image/png"] = counts.get("embedded image/png", 0) + k
                why = check_value(mime, value)
                if why:
                    rep["failures"].append(f"cell {i}: bad {mime} output: {why}")
        want = cell.get("metadata", {}).get("aggstem", {}).get("expect", [])
        have = {m for d in rich_outputs(cell) for m in d}
        for mime in want:
            if mime not in have:
                rep["failures"].append(f"cell {i}: expected a {mime} output, found {sorted(have) or 'none'}")
    want = nb.metadata.get("aggstem", {}).get("expect", [])
    for mime in want:
        if mime not in counts:
            rep["failures"].append(f"notebook: expected a {mime} output somewhere, found {sorted(counts) or 'none'}")
    rep["expect"] = want

    out_nb = os.path.join(args.out, name + ".ipynb")
    write_atomic(out_nb, nbformat.writes(nb))
    rep["executed"] = out_nb
    if not args.no_html:
        # The jupyter CLI itself, as a user would run it; written to a temp dir and moved into place.
        tmp = tempfile.mkdtemp(dir=args.out, prefix=".html-")
        try:
            r = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", tmp, out_nb],
                capture_output=True, text=True,
            )
            if r.returncode != 0:
                rep["failures"].append(f"nbconvert --to html failed: {r.stderr[-2000:]}")
            else:
                html = os.path.join(args.out, name + ".html")
                os.replace(os.path.join(tmp, name + ".html"), html)
                rep["html"] = html
        finally:
            for f in os.listdir(tmp):
                os.unlink(os.path.join(tmp, f))
            os.rmdir(tmp)
    rep["seconds"] = round(time.time() - t0, 2)
    rep["ok"] = not rep["failures"]
    return rep


def on_sigterm(signum, frame):
    """A terminated runner (test timeout) unwinds like Ctrl-C, so nbclient shuts the kernel down."""
    raise KeyboardInterrupt()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernel", default="aggstem-tslab")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    ap.add_argument("--no-html", action="store_true")
    ap.add_argument("--full", action="store_true", help="do not set AGGSTEM_SMALL=1")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    if not args.full:
        os.environ["AGGSTEM_SMALL"] = "1"
    os.makedirs(args.out, exist_ok=True)
    reports = [run_one(p, args) for p in args.notebooks]
    ok = all(r["ok"] for r in reports)
    print(json.dumps({"ok": ok, "notebooks": reports}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""``ssr sweep QUANTITY [options and ranges] --out DIR``: a grid written incrementally, resumable.

The grid is :mod:`ssr.grid`'s (the same points, in the same order, as ``ssr eval`` with the same
options). ``DIR/sweep.json`` records the command, normalised (:func:`command`: the quantity,
every numeric option as an exact string or ``START:STOP:COUNT``, the bulk law, basis, method,
``dps``, the covariance and its hash); a different command refuses to write into that ``DIR``.
``DIR/sweep.csv`` has a header (:data:`COLUMNS`) and one row per point (per interval for
``edges``): the six numeric inputs as decimals (empty when not given), the bulk law, basis,
covariance, the estimator used, the digits, the value (as ``ssr eval`` shows it; ``lower``,
``upper`` for an interval), its notes and the exact inputs (``point``). ``pandas.read_csv`` reads
every numeric column as ``float64`` (``dps``, ``interval`` and ``intervals`` are integer counts).

Durability: each row is appended by one ``write`` of the whole line followed by ``os.fsync``, so
a kill (``kill -9`` included) leaves at most one torn last line, one without its trailing
newline. Rerunning the same command drops that line, skips every point already in the file and
computes only the missing ones; a lock (``DIR/sweep.lock``, ``flock``) keeps a second run off
the same ``DIR`` while one is writing.

In this process (no ``--scheduler``/``--workers``) each row is written and synced as soon as its
point is done, so a kill loses at most the row being written, and a point whose solver fails
(the one-line error naming the point, exit 2) leaves every earlier row in the file.
``--scheduler ADDRESS`` / ``--workers N`` (:mod:`ssr.parallel`) evaluate chunks of
:data:`CHUNK` consecutive points as tasks and append each chunk's rows as it arrives (rows may
then come in another order; the file is the same set of rows, and a resume skips them alike).
"""
from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import sys
import time
from fractions import Fraction

from numerics.model import BadParameter, parse_number
from ssr.inputs import QUANTITIES, choice, evaluate_point, load_grid, location, make_executor, model_inputs
from ssr.inputs import writable_directory
from ssr.progress import StatusLine, duration
from ssr.grid import OPTIONS

__all__ = ["COLUMNS", "KEY", "command", "key", "run"]

#: The inputs that identify a point (the numeric options; empty when not given).
KEY = tuple(attr for attr, _ in OPTIONS)
#: The columns of ``sweep.csv``: the numeric inputs as decimals (``repr`` of the float: every numeric
#: column loads as ``float64`` in pandas), the bulk law, basis, covariance, estimator and digits, the
#: value (``ssr eval``'s digits), for ``edges`` one row per interval (``interval`` ``k`` of
#: ``intervals``, ``lower``, ``upper``; ``value`` empty), the notes, and ``point``: the exact inputs
#: (``gamma;lam;theta;at;mask_ratio;test_mask_ratio`` as exact rationals) that identify the row.
COLUMNS = (*KEY, "noise", "basis", "covariance", "method", "dps", "value", "interval", "intervals", "lower",
           "upper", "notes", "point")
_VERSION = 2


def _exact(value, name: str) -> str:
    return "" if value is None else str(parse_number(value, name))


def key(point) -> tuple[str, ...]:
    """The exact inputs of a grid point (its row's first columns)."""
    return tuple(_exact(getattr(point, attr, None), name) for attr, name in OPTIONS)


def command(args, points, first) -> dict:
    """The normalised command of ``args`` (what ``sweep.json`` records); ``first``: the
    validated inputs of the first point (for the normalised bulk law)."""
    quantity, model, _, _, dps = first
    params = model.as_dict()
    return {
        "command": "sweep", "version": _VERSION, "quantity": quantity,
        "options": {**points.normalised(), "noise": params.get("noise"), "basis": params.get("basis"),
                    "covariance": None if model.covariance is None else
                    {"spec": model.covariance.spec, "sha256": model.covariance.sha256},
                    "method": args.method, "dps": dps,
                    **({"scale_law": params["scale_law"]} if "scale_law" in params else {})},
        "points": len(points), "columns": list(COLUMNS),
    }


def _line(values) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


def _append(fd: int, data: bytes) -> None:
    """One ``write`` of the whole line, then ``fsync``: the row is on disk, or at most torn."""
    written = os.write(fd, data)
    if written != len(data):
        raise OSError(f"short write ({written} of {len(data)} bytes)")
    os.fsync(fd)


def _decimal(exact: str) -> str:
    """An exact input (``"1/10"``) as the ``repr`` of its nearest float (``"0.1"``); empty stays empty."""
    return "" if exact == "" else repr(float(Fraction(exact)))


def _rows_of(point_key, inputs, out) -> list[list[str]]:
    """The rows of one point: one, or one per interval of an ``edges`` support."""
    _, model, method, _, _ = inputs
    params = out["params"]
    head = [*(_decimal(v) for v in point_key), params.get("noise", ""), params.get("basis", ""),
            "" if model.covariance is None else model.covariance.spec, method, str(out["dps"])]
    tail = ["; ".join(out.get("notes", [])), ";".join(point_key)]
    if "intervals" in out or isinstance(out["value"], list):
        pairs = out.get("intervals", [out["value"]])
        return [[*head, "", str(k), str(len(pairs)), lower, upper, *tail]
                for k, (lower, upper) in enumerate(pairs, start=1)]
    return [[*head, out["value"], "", "", "", "", *tail]]


def _check_command(path: str, recorded: dict, directory: str) -> None:
    """Write ``sweep.json`` (atomically) or check that the one there records the same command."""
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as handle:
                old = json.load(handle)
        except (OSError, ValueError) as err:
            raise BadParameter("out", f"cannot read {path!r} ({type(err).__name__}); "
                                      f"give a new --out DIR") from None
        if old != recorded:
            raise BadParameter("out", f"{directory!r} holds a different sweep ({_difference(old, recorded)}); "
                                      f"give a new --out DIR")
        return
    if os.path.exists(os.path.join(directory, "sweep.csv")):
        raise BadParameter("out", f"{directory!r} has a sweep.csv but no sweep.json (not mixing into it); "
                                  f"give a new --out DIR")
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(recorded, handle, indent=1)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _difference(old, new) -> str:
    """The first recorded setting that differs: ``name: OLD there, NEW here``."""
    if not isinstance(old, dict):
        return "not a sweep record"
    flat_old = {**(old.get("options") or {}), **{k: v for k, v in old.items() if k != "options"}}
    flat_new = {"quantity": new["quantity"], **new["options"], **{k: v for k, v in new.items() if k != "options"}}
    for name in flat_new:
        if flat_old.get(name) != flat_new[name]:
            return f"{name.replace('_', '-')}: {flat_old.get(name)} there, {flat_new[name]} here"
    return "a different record"


def _resume(path: str, header: bytes, keys: set) -> tuple[set, bool]:
    """The keys of the rows in ``path`` and whether a torn last line was dropped.

    Creates the file with its header when it is missing or empty; a torn last line (no trailing
    newline) is truncated away (and synced) first. Refuses a file whose header or rows are not
    this sweep's.
    """
    with open(path, "ab+") as handle:
        handle.seek(0)
        data = handle.read()
        torn = bool(data) and not data.endswith(b"\n")
        if torn:
            data = data[:data.rfind(b"\n") + 1]
            handle.truncate(len(data))
            handle.flush()
            os.fsync(handle.fileno())
        if not data:
            handle.write(header)
            handle.flush()
            os.fsync(handle.fileno())
            return set(), torn
    lines = data.decode("utf-8", errors="replace").split("\n")[:-1]
    if (lines[0] + "\n").encode("utf-8") != header:
        raise BadParameter("out", f"{path!r} does not start with the header of this sweep; give a new --out DIR")
    done, counts, last = set(), {}, None
    column = {name: i for i, name in enumerate(COLUMNS)}
    for number, row in enumerate(csv.reader(lines[1:]), start=2):
        point = tuple(row[column["point"]].split(";")) if len(row) == len(COLUMNS) else None
        if point not in keys:
            raise BadParameter("out", f"{path!r} line {number} is not a row of this sweep; give a new --out DIR")
        seen, total = counts.get(point, (0, 1))
        counts[point] = (seen + 1, int(row[column["intervals"]] or 1))
        last = point
        done.add(point)
    if last is not None and counts[last][0] < counts[last][1]:
        # the rows of one point are written at once: only the last point can be incomplete (a kill
        # during its write); drop its rows, it is computed again
        keep = len(lines) - counts[last][0]
        data = ("\n".join(lines[:keep]) + "\n").encode("utf-8")
        with open(path, "rb+") as handle:
            handle.truncate(len(data))
            handle.flush()
            os.fsync(handle.fileno())
        done.discard(last)
        torn = True
    return done, torn


def run(args) -> int:
    """``ssr sweep``: validate every point, then compute and append the missing rows."""
    choice(args.quantity, "QUANTITY", QUANTITIES)
    points = load_grid(args)
    todo = [(key(point), model_inputs(point)) for point in points.points()]
    recorded = command(args, points, todo[0][1])
    directory = writable_directory(args.out, "out")
    lock = open(os.path.join(directory, "sweep.lock"), "w")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BadParameter("out", f"another ssr sweep is writing into {directory!r}") from None
        return _sweep(args, points, todo, recorded, directory)
    finally:
        lock.close()


#: Points per task on a cluster: consecutive points of the grid, evaluated with warm starts along the chunk.
CHUNK = 20


def _lines(points):
    """Yield the CSV line of each ``(key, inputs, where)`` point, in order, as soon as it is computed.

    Warm starts run along the points; they change no printed digit (the final Newton of every
    point verifies its residual), so a sweep on a cluster (chunks) writes the rows of the local run.
    """
    warm: dict = {}
    for point, inputs, where in points:
        out, _ = evaluate_point(*inputs, warm=warm, where=where)
        yield b"".join(_line(row) for row in _rows_of(point, inputs, out))


def _rows(chunk) -> list[bytes]:
    """The CSV lines of a chunk of ``(key, inputs, where)`` points (one task on a cluster)."""
    return list(_lines(chunk))


def _sweep(args, points, todo, recorded, directory) -> int:
    start = time.monotonic()
    _check_command(os.path.join(directory, "sweep.json"), recorded, directory)
    path = os.path.join(directory, "sweep.csv")
    done, torn = _resume(path, _line(COLUMNS), {point for point, _ in todo})
    missing = [(point, inputs) for point, inputs in todo if point not in done]
    progress = StatusLine(sys.stderr) if sys.stderr.isatty() and not args.json else None
    items = [(point, inputs, location(points, inputs) if points.ranged else "") for point, inputs in missing]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    count = 0
    try:
        with make_executor(args) as executor:
            if executor.local:  # each row as soon as its point is done
                batches = ([line] for line in _lines(items))
            else:  # chunks of points as tasks, each chunk's rows as it arrives
                chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
                batches = (lines for _, lines in executor.as_completed(_rows, chunks))
            for lines in batches:
                for line in lines:  # one write + fsync per row
                    _append(fd, line)
                count += len(lines)
                if progress is not None:
                    progress.bar(f"ssr sweep: {recorded['quantity']}", count, len(missing))
    finally:
        os.close(fd)
        if progress is not None:
            progress.close()
    seconds = time.monotonic() - start
    summary = {"quantity": recorded["quantity"], "points": len(todo), "computed": len(missing),
               "resumed": len(done), "torn_line_dropped": torn, "csv": path, "seconds": round(seconds, 3)}
    if args.json:
        print(json.dumps(summary))
    else:
        shape = " x ".join(f"{len(values)} {attr.replace('_', '-')}" for attr, values in points.axes.items())
        print(f"ssr sweep: {recorded['quantity']} over {shape or 'one point'} = {len(todo)} points: "
              f"{len(missing)} computed, {len(done)} already in {path}"
              f"{' (dropped a torn last line)' if torn else ''}; {duration(seconds)}")
    return 0

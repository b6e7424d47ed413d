"""Durable transitions per second of SpiffWorkflow driving a four-step approval.

The counterpart of `sunshine bench hall`: every workflow instance is stored
serialized in SQLite (WAL, synchronous=FULL, like Sunshine's store); each
transition loads it, completes the ready user task, runs the engine on,
serializes it and saves it back in its own committed transaction. Only the
four transitions of each instance are timed, not their creation.

    python approval.py --cases 2000 [--processes 1] [--db FILE]
"""

import argparse
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

STEPS = ["accept", "claim", "approve", "deliver"]
BPMN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "approval.bpmn")


def load_spec():
    parser = BpmnParser()
    parser.add_bpmn_file(BPMN)
    return parser.get_spec("approval")


def connect(path):
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def create(path, cases):
    spec = load_spec()
    serializer = BpmnWorkflowSerializer()
    db = connect(path)
    db.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    db.execute("BEGIN IMMEDIATE")
    for n in range(cases):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        db.execute(
            "INSERT INTO workflows (id, state) VALUES (?, ?)",
            (n, serializer.serialize_json(wf)),
        )
    db.execute("COMMIT")
    db.close()


def transition(db, serializer, case, step, clerk):
    """One durable transition: load, complete the ready step, save, commit."""
    db.execute("BEGIN IMMEDIATE")
    (state,) = db.execute("SELECT state FROM workflows WHERE id = ?", (case,)).fetchone()
    wf = serializer.deserialize_json(state)
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != 1 or ready[0].task_spec.name != step:
        db.execute("ROLLBACK")
        raise RuntimeError(f"case {case}: expected {step}, found {[t.task_spec.name for t in ready]}")
    task = ready[0]
    task.data.update({step + "_by": clerk, step + "_at": time.time()})
    task.run()
    wf.do_engine_steps()
    db.execute("UPDATE workflows SET state = ? WHERE id = ?", (serializer.serialize_json(wf), case))
    db.execute("COMMIT")


def drive(args):
    path, cases, clerk = args
    serializer = BpmnWorkflowSerializer()
    db = connect(path)
    latencies = []
    for case in cases:
        for step in STEPS:
            t = time.perf_counter()
            transition(db, serializer, case, step, clerk)
            latencies.append(time.perf_counter() - t)
    db.close()
    return latencies


def check_completed(path, cases):
    serializer = BpmnWorkflowSerializer()
    db = connect(path)
    done = sum(
        serializer.deserialize_json(state).is_completed()
        for (state,) in db.execute("SELECT state FROM workflows")
    )
    db.close()
    if done != cases:
        sys.exit(f"only {done} of {cases} workflows completed")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=2000)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--db", help="SQLite file to use (default: a temporary one)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = a.db or os.path.join(tmp, "spiff.db")
        create(path, a.cases)
        shares = [
            (path, list(range(i, a.cases, a.processes)), f"clerk{i}") for i in range(a.processes)
        ]
        start = time.perf_counter()
        if a.processes == 1:
            latencies = drive(shares[0])
        else:
            with multiprocessing.Pool(a.processes) as pool:
                latencies = [l for part in pool.map(drive, shares) for l in part]
        elapsed = time.perf_counter() - start
        check_completed(path, a.cases)
    latencies.sort()
    pct = lambda q: latencies[min(int(len(latencies) * q), len(latencies) - 1)] * 1e3
    import SpiffWorkflow

    print("engine:             SpiffWorkflow", getattr(SpiffWorkflow, "__version__", ""))
    print(f"processes:          {a.processes}")
    print(f"cases:              {a.cases} (4 transitions each)")
    print(f"transitions:        {len(latencies)}")
    print(f"wall time:          {elapsed:.2f} s")
    print(f"transitions/second: {len(latencies) / elapsed:.0f}")
    print(f"latency p50/p99:    {pct(0.50):.2f} ms / {pct(0.99):.2f} ms")
    print(f"mean latency:       {statistics.fmean(latencies) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()

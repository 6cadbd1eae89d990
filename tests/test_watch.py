"""grade --watch: graded again after a save, with what changed; fresh workers every run."""
from __future__ import annotations

import os
import threading

from autograder.watch import changes, watch
from conftest import KIT, write_mutant

LOSS_SUM = "return float(np.square(y_pred - y).sum())"


def test_a_save_is_graded_again_and_the_change_is_named(tmp_path):
    root = write_mutant(tmp_path, "exercise1", [])
    module = root / "exercises" / f"{KIT.find('exercise1').module}.py"
    results = []

    def on_result(document, changed):
        results.append((document, changed))
        if len(results) == 1:  # the student saves a mistake
            module.write_text(module.read_text().replace(LOSS_SUM, LOSS_SUM.replace(".sum()", ".mean()")))
            os.utime(module, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns + 10**9))
    watch("exercise1", on_result=on_result, submission=root, pattern="loss or forward", sandbox="none", runs=2,
          poll_s=0.05)
    (first, unchanged), (second, changed) = results
    assert first["score"] == first["max_score"] and unchanged == {"passing": [], "failing": []}
    assert changed == {"passing": [], "failing": ["exercise1:loss"]}
    assert second["score"] == first["score"] - 10


def test_it_stops_when_told_and_waits_for_a_change_otherwise(tmp_path):
    root = write_mutant(tmp_path, "exercise1", [])
    stop, results = threading.Event(), []
    thread = threading.Thread(target=watch, args=("exercise1",), kwargs=dict(
        on_result=lambda d, c: results.append(d), submission=root, pattern="loss", sandbox="none", stop=stop,
        poll_s=0.05))
    thread.start()
    while not results and thread.is_alive():
        thread.join(0.1)
    thread.join(1.0)
    assert thread.is_alive() and len(results) == 1  # nothing saved: nothing graded again
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_changes_lists_checks_that_flipped():
    def doc(**status):
        return {"exercises": [{"id": "e", "checks": [{"id": k, "status": v} for k, v in status.items()]}]}
    assert changes(doc(a="passed", b="failed"), doc(a="failed", b="passed", c="failed")) == {
        "passing": ["e:b"], "failing": ["e:a"]}

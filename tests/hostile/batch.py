"""Run many clausegate invocations in ONE child process (``python batch.py CASES.json RESULTS.json``).

Each case runs in-process through click's CliRunner with a SIGALRM deadline (a hang ends as
``"hang": true``, never as a stuck test run) and a tree snapshot of its folder before and after (what
changed is reported). One process for a whole module keeps a hundred hostile cases to seconds;
the tests in ``test_readers_*.py`` assert on the results.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path


class Hang(BaseException):
    """Raised by SIGALRM: a BaseException, so no ``except Exception`` on the way can swallow it."""


def _alarm(_signum: int, _frame: object) -> None:
    raise Hang()


def main(cases_file: str, results_file: str) -> None:
    """Run every case of ``cases_file``; write the results to ``results_file``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from click.testing import CliRunner
    from hostile_support import snapshot

    from generator.cli import cli

    cases = json.loads(Path(cases_file).read_text())
    results = {}
    signal.signal(signal.SIGALRM, _alarm)
    for case in cases:
        cwd = Path(case["cwd"])
        before = snapshot(cwd)
        runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames \
            else CliRunner()
        started = time.monotonic()
        hang = False
        code, out, err = -1, "", ""
        import os

        old = os.getcwd()
        os.chdir(cwd)
        signal.alarm(int(case.get("timeout", 20)))
        try:
            res = runner.invoke(cli, case["argv"], catch_exceptions=True)
            code, out, err = res.exit_code, res.stdout, res.stderr
            if res.exception is not None and not isinstance(res.exception, SystemExit):
                import traceback

                err += "".join(traceback.format_exception(res.exception))
        except Hang:
            hang = True
        finally:
            signal.alarm(0)
            os.chdir(old)
        after = snapshot(cwd)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        results[case["id"]] = {"code": code, "stdout": out[-4000:], "stderr": err[-4000:], "hang": hang,
                               "seconds": time.monotonic() - started, "changed": changed}
    Path(results_file).write_text(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Time ``arazzo-runner check`` on all 24 Stytch Arazzo files in one command (target: under 2 s).

The files share two OpenAPI descriptions (1.0 and 1.46 MB); one ``check``
call loads each once. Reports the in-process time of the check itself and
the wall time of the whole command (interpreter start-up and imports included).

    python benchmarks/bench_check.py [CORPUS_DIR]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "stytch" / "arazzo"


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    files = sorted(str(p) for p in corpus.glob("*.yml"))
    if not files:
        print(f"no Arazzo files in {corpus}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from arazzo_runner.checker import Checker

    runs = []
    for _ in range(3):
        start = time.perf_counter()
        checker = Checker()
        diagnostics = [d for f in files for d in checker.check(f).diagnostics]
        runs.append(time.perf_counter() - start)
    errors = sum(d.severity == "error" for d in diagnostics)
    print(
        f"check, in process: {len(files)} files, {len(checker.openapi_cache)} OpenAPI descriptions loaded, "
        f"{errors} errors, {len(diagnostics) - errors} other findings; best {min(runs):.3f} s, worst {max(runs):.3f} s"
    )

    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "check", *files], cwd=ROOT, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    print(
        f"arazzo-runner check (one command, wall time incl. start-up): {wall:.3f} s, exit {done.returncode} "
        f"-> {'under' if wall < 2 else 'OVER'} the 2 s target"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The code version each report records (Report.code_version, the X-Report-Code-Version header)."""

import functools
import subprocess
from pathlib import Path


@functools.cache
def git_describe(checkout: Path) -> str:
    """`git describe --always --dirty --abbrev=10` of `checkout`, e.g. "d22cb76a1f-dirty"; "unknown" without git.

    Only the fallback for a checkout: an image build sets LOOPMONITOR_CODE_VERSION instead
    (there is no .git in the image). Runs git at most once per process, when a report first
    needs the version, never when settings are imported.
    """
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=10"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"

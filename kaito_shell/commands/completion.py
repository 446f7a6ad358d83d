"""`completion bash|zsh|fish|powershell`: the script that makes the user's shell complete kaito's commands by asking
kaito itself (kaito_shell/app/complete.py)."""

from __future__ import annotations

from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result


def completion(inv: Invocation) -> Result:
    from kaito_shell.app.complete import SCRIPTS

    inv.env.stdout.write(SCRIPTS[inv.args["shell"]])
    inv.env.stdout.flush()
    return Result.nothing()

"""`chat` and `monitor` in a real terminal (pexpect drives a pty): the conversation is a sub-prompt of the kaito
shell that returns to it, and the dashboard takes the alternate screen, quits on `q` and gives the terminal back."""

import json

import pexpect
from test_terminal import READY, prompt_for, spawned, terminal_env


def test_chat_and_the_dashboard_inside_the_shell(tmp_path):
    env = terminal_env(tmp_path, KAITO_SANDBOX_SPEED="20")
    env.pop("KUBECONFIG")
    with spawned(["--sandbox"], env, size=(50, 160), timeout=60) as child:
        child.expect("kaito sandbox:default> ")
        child.expect_exact(READY)
        child.send("deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 "
                   "--yes --wait\r")
        child.expect("workspace/phi4 is Ready")
        child.expect(prompt_for("default"))

        child.send("chat phi4\r")
        child.expect("chat with workspace/phi4")
        child.expect("you>")
        child.send("tell me about kaito\r")
        child.expect("sandbox")
        child.expect(r"first token \d+ ms")
        child.expect("you>")
        child.send("/temperature 3\r")
        child.expect("from 0 to 2")
        child.send(f"/save {tmp_path / 'chat.json'}\r")
        child.expect("saved 1 turns")
        child.send("/exit\r")
        child.expect(prompt_for("default"))  # back in the kaito shell
        saved = json.loads((tmp_path / "chat.json").read_text())
        assert saved["messages"][0] == {"role": "user", "content": "tell me about kaito"}

        child.send("monitor phi4 --interval 0.3\r")
        child.expect_exact("\x1b[?1049h")  # the alternate screen
        child.expect("kaito monitor")
        child.expect("workspace/phi4")
        child.send("q")
        child.expect_exact("\x1b[?1049l")  # left again
        child.expect("monitored 1 object")
        child.expect(prompt_for("default"))
        child.send("exit\r")
        child.expect(pexpect.EOF)

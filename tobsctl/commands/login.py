"""tobsctl login: log a waiting tobsd (state needs-login) in to Telegram.

Asks for the phone number, the code Telegram sends and, when the account
has one, the two-step password, none of them echoed (each is a secret: a
terminal's scrollback keeps no trace of them). When standard input is not
a terminal the answers are read from it, one per line. The answers go to
tobsd over the socket only; tobsctl keeps none of them."""
from __future__ import annotations

import getpass
import queue
import sys

from tobs.v1 import pb
from tobsctl import exits
from tobsctl.client import Failure

NAME = "login"
HELP = "log a waiting tobsd (needs-login) in: phone, code, two-step password"


def add_arguments(p) -> None:
    pass


def run(ctx) -> int:
    out = ctx.out
    interactive = sys.stdin.isatty()

    def prompt(text: str) -> None:
        if not interactive or out.json:
            print(text, file=sys.stderr, flush=True)

    def ask(text: str) -> str:
        if interactive:
            return getpass.getpass(text).strip()
        prompt(text)
        line = sys.stdin.readline()
        if not line:
            raise SystemExit("tobsctl: no answer on standard input")
        return line.strip()

    state = ctx.client.call("GetStatus", pb.GetStatusRequest()).daemon.state
    if state != "needs-login":       # ask nothing the daemon would refuse
        raise Failure(f"tobsd is {state}, not waiting for a login", exits.REFUSED,
                      "FAILED_PRECONDITION")
    answers: queue.Queue = queue.Queue()
    answers.put(pb.LoginRequest(phone=ask("Phone number (international format, e.g. +44...): ")))
    result = None
    for answer in ctx.client.stream("Login", iter(answers.get, None)):
        if answer.hint and answer.next != pb.LoginResponse.NEXT_DONE:
            print(answer.hint, file=sys.stderr, flush=True)
        if answer.next == pb.LoginResponse.NEXT_DONE:
            result = answer.hint
            break
        if answer.next == pb.LoginResponse.NEXT_CODE:
            answers.put(pb.LoginRequest(code=ask("Code Telegram sent you: ")))
        elif answer.next == pb.LoginResponse.NEXT_PASSWORD:
            answers.put(pb.LoginRequest(password=ask("Two-step verification password: ")))
        else:
            answers.put(pb.LoginRequest(phone=ask("Phone number: ")))
    answers.put(None)
    out.emit({"logged_in": result is not None, "message": result or ""},
             lambda: out.say(result or "the login did not finish"))
    return 0 if result is not None else 1

"""An X11 clipboard owner that acts as a password manager does: the text, and the hint to leave it alone.

KeePassXC (and 1Password, Bitwarden) offer a copied password under the usual
text targets and also under ``x-kde-passwordManagerHint`` (value
``secret``), so that clipboard tools neither keep nor read it. xclip can
offer one target only; this owner offers both, with python-xlib.

    python -m testkit.secret_owner TEXT      (owns the CLIPBOARD until killed)
"""

from __future__ import annotations

import sys

from Xlib import X, Xatom, display
from Xlib.protocol import event


def serve(text: str) -> None:
    screen = display.Display()
    window = screen.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
    atoms = {
        name: screen.intern_atom(name)
        for name in ("CLIPBOARD", "TARGETS", "UTF8_STRING", "x-kde-passwordManagerHint")
    }
    window.set_selection_owner(atoms["CLIPBOARD"], X.CurrentTime)
    screen.flush()
    print("owned", flush=True)
    values = {
        atoms["UTF8_STRING"]: text.encode(),
        Xatom.STRING: text.encode(),
        atoms["x-kde-passwordManagerHint"]: b"secret",
    }
    while True:
        request = screen.next_event()
        if request.type != X.SelectionRequest:
            continue
        prop = request.property or request.target
        if request.target == atoms["TARGETS"]:
            request.requestor.change_property(prop, Xatom.ATOM, 32, [atoms["TARGETS"], *values])
        elif request.target in values:
            request.requestor.change_property(prop, request.target, 8, values[request.target])
        else:
            prop = X.NONE
        notify = event.SelectionNotify(
            time=request.time, requestor=request.requestor, selection=request.selection,
            target=request.target, property=prop,
        )  # fmt: skip
        request.requestor.send_event(notify)
        screen.flush()


if __name__ == "__main__":
    serve(sys.argv[1])

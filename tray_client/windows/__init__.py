"""The client's windows (phonebook search, settings, about, the question before a link), in tkinter.

Each window is a child process (``python -m tray_client.windows.<name>``)
so that Tk never shares a process with the tray's own UI loop (GTK,
Cocoa, Win32): that is portable, and a window can never freeze the icon.
The tray writes one JSON line to the child's standard input (what the window
needs, the password included, so that it never shows on a command line);
the child answers JSON lines on its standard output (``{"dial": ...}``,
``{"saved": true}``). A second line ``{"raise": true}`` brings an open
window to the front; the child closes when its standard input closes.
``astitray-dial`` runs the question's window the same way, without a tray
(``launcher.run_window``).
"""

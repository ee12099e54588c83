"""The windows drawn with GTK 3 (PyGObject): on Linux and the other free desktops.

They look like the desktop's own applications: its theme and fonts, its
dark style (see tray_client.windows.appearance), HiDPI scaling, an ellipsis
where a column is too narrow, and GTK's keyboard conventions (Enter
activates the focused button, else the window's default one; Ctrl+A selects
all; Escape closes).
"""

"""The windows drawn with Tk: on Windows and macOS (Tk ships with their Python), and as a fallback.

A themed ttk that follows the desktop's light or dark style, with the
platform's keyboard conventions added where Tk lacks them (Ctrl+A selects
all, Enter activates the focused button), and an ellipsis in columns too
narrow for their text.
"""

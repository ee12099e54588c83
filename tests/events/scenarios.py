"""What each recorded incoming scenario must tell each user (type, number, name, status, by_me)."""

from __future__ import annotations

MARIE = ("0142685300", "Marie Dubois")
BRUNO = ("1002", "Bruno Petit")


def rang(caller: tuple[str, str] = MARIE) -> tuple:
    return ("incoming", *caller, "", False)


def took(caller: tuple[str, str] = MARIE, by_me: bool = True) -> tuple:
    return ("answered", *caller, "answered", by_me)


def missed(caller: tuple[str, str] = MARIE) -> tuple:
    return ("missed", *caller, "missed", False)


# name -> username -> events; a user not named gets nothing.
TOLD: dict[str, dict[str, list[tuple]]] = {
    "20-incoming-answered": {"alice": [rang(), took()]},
    "21-incoming-noanswer": {"chloe": [rang(), missed()]},
    "22-incoming-busy": {"bruno": [rang(), missed()]},
    "23-incoming-caller-cancel": {"chloe": [rang(), missed()]},
    "24-ringgroup": {"bruno": [rang(), took()], "alice": [rang(), took(by_me=False)]},
    "25-queue": {"alice": [rang(), took()], "bruno": [rang(), took(by_me=False)]},
    "26-internal-call": {"alice": [rang(BRUNO), took(BRUNO)]},
}

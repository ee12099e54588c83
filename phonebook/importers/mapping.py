"""Which source attribute or column fills which contact field (pure functions).

A mapping is written ``field=attr1|attr2,field=...``: the first attribute
with a value gives a text field; every value of every attribute gives a
number of that label. ``fax=`` (empty) leaves a field out. Fields: name,
company, department, title, email, key, and the number labels work, mobile,
home, fax, other.
"""

from __future__ import annotations

from phonebook.importers.records import LABELS

TEXT_FIELDS = ("name", "company", "department", "title", "email", "key")
FIELDS = (*TEXT_FIELDS, *LABELS)

Mapping = dict[str, tuple[str, ...]]

# inetOrgPerson (OpenLDAP, 389-ds, ...) with Active Directory's own attributes after them.
LDAP_DEFAULTS: Mapping = {
    "name": ("displayName", "cn"),
    "company": ("o", "company"),
    "department": ("ou", "department"),
    "title": ("title",),
    "email": ("mail",),
    "work": ("telephoneNumber", "ipPhone", "otherTelephone"),
    "mobile": ("mobile", "otherMobile"),
    "home": ("homePhone", "otherHomePhone"),
    "fax": ("facsimileTelephoneNumber",),
    "other": (),
}


def parse_mapping(text: str, defaults: Mapping, what: str, allow_key: bool = False) -> Mapping:
    """``defaults`` with the fields named in ``text`` replaced; ValueError naming ``what`` when wrong."""
    mapping = dict(defaults)
    allowed = FIELDS if allow_key else tuple(f for f in FIELDS if f != "key")
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or name not in allowed:
            raise ValueError(
                f"{what}: expected field=attribute|attribute with a field among {', '.join(allowed)}, "
                f"not {item.strip()!r}"
            )
        mapping[name] = tuple(part.strip() for part in value.split("|") if part.strip())
    return mapping


def format_mapping(mapping: Mapping) -> str:
    return ",".join(f"{name}={'|'.join(attrs)}" for name, attrs in mapping.items())

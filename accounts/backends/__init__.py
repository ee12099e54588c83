"""Where people's accounts come from: a password file, an LDAP directory, an external SQL table.

Each backend is a Django authentication backend, switched on and ordered by
``ASTITRAY_AUTH_BACKENDS``. A successful login creates or updates the Django
user (with an unusable local password) and, when the source says which phone
is the person's, their Extension (never one an admin set by hand).
"""

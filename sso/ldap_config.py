"""Reading the LDAP settings (docs/sso.md, "LDAP directory"): imported by settings.py when
LDAP_ENABLED is on, so it uses python-ldap and django-auth-ldap only, never the portal's
models.

A mapping setting (LDAP_ROLE_GROUPS, LDAP_AGENCY_GROUPS) is a list of `group DN=value`
pairs separated by ";" or new lines; the value is what follows the last "=", so the DN keeps
its own "=" signs. A DN may be given more than once (a group giving two roles).
"""

from __future__ import annotations

import ldap
import ldap.dn
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import (
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPGroupType,
    PosixGroupType,
)

# LDAP_GROUP_TYPE: the object class of the directory's groups → django-auth-ldap's type.
GROUP_TYPES: dict[str, type[LDAPGroupType]] = {
    "groupOfNames": GroupOfNamesType,
    "groupOfUniqueNames": GroupOfUniqueNamesType,
    "posixGroup": PosixGroupType,
}


def dn_key(dn: str) -> str:
    """One spelling of a DN for comparisons: lower case, no spaces around "," and "="."""
    return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip().lower()))


def parse_map(name: str, raw: str) -> dict[str, frozenset[str]]:
    """`"cn=a,ou=groups,dc=x=focal_officer;cn=b,...=STP"` → {DN key: {values}}."""
    mapping: dict[str, set[str]] = {}
    for pair in raw.replace("\n", ";").split(";"):
        if not pair.strip():
            continue
        dn, _sep, value = pair.strip().rpartition("=")
        try:
            key = dn_key(dn) if "=" in dn and value.strip() else ""
        except ldap.DECODING_ERROR:
            key = ""
        if not key:
            raise ImproperlyConfigured(f"{name}: “{pair.strip()}” is not “group DN=value”.")
        mapping.setdefault(key, set()).add(value.strip())
    return {key: frozenset(values) for key, values in mapping.items()}


def group_type(name: str) -> LDAPGroupType:
    if name not in GROUP_TYPES:
        raise ImproperlyConfigured(
            f"LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, not “{name}”."
        )
    return GROUP_TYPES[name]()


def connection_options(*, timeout: int, ca_file: str) -> dict:
    """Per-connection options: a network timeout, no referrals, and the CA to trust for
    StartTLS/ldaps (a new TLS context must come last for python-ldap to apply it)."""
    options: dict = {
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        ldap.OPT_REFERRALS: 0,
    }
    if ca_file:
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
        options[ldap.OPT_X_TLS_NEWCTX] = 0
    return options

"""ACL evaluation for znodes (pure): schemes world, auth, digest and ip.

A session holds a list of authenticated ids (``(scheme, id)``): ``ip`` from its address on
connect, ``digest`` ids added by auth packets (``user:password`` becomes
``user:base64(sha1(user:password))``). ``fixup`` turns a request's ACL list into the stored one
(``auth`` expands to the session's non-ip ids); ``check`` enforces a permission.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress

from odradek.zk.codes import Err, KeeperError
from odradek.zk.records import ACL, ACLs

AuthId = tuple[str, str]
SUPER: AuthId = ("super", "")


def digest(user_password: str) -> str:
    """``user:password`` -> the stored digest id ``user:base64(sha1(user:password))``."""
    user = user_password.split(":", 1)[0]
    sha = hashlib.sha1(user_password.encode("utf-8")).digest()
    return f"{user}:{base64.b64encode(sha).decode('ascii')}"


def _ip_valid(spec: str) -> bool:
    try:
        ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return False
    return True


def _ip_matches(spec: str, client: str) -> bool:
    try:
        return ipaddress.ip_address(client) in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return False


def valid_id(scheme: str, ident: str) -> bool:
    if scheme == "world":
        return ident == "anyone"
    if scheme == "digest":
        return len(ident.split(":")) == 2
    if scheme == "ip":
        return _ip_valid(ident)
    return False


_VALID: dict[ACLs, ACLs] = {}


def fixup(acls: ACLs | None, auth_ids: list[AuthId]) -> ACLs:
    """Validate and expand a request's ACL list; raises INVALIDACL."""
    if not acls:
        raise KeeperError(Err.INVALIDACL)
    known = _VALID.get(acls)
    if known is not None:
        return known
    out: list[ACL] = []
    for a in acls:
        if a.scheme == "auth":
            added = [ACL(a.perms, s, i) for s, i in auth_ids if s not in ("ip", "super")]
            if not added:
                raise KeeperError(Err.INVALIDACL)
            out.extend(added)
        elif valid_id(a.scheme, a.id):
            out.append(a)
        else:
            raise KeeperError(Err.INVALIDACL)
    unique = tuple(dict.fromkeys(out))
    if all(a.scheme != "auth" for a in acls):  # independent of the session: remember it
        if len(_VALID) > 4096:
            _VALID.clear()
        _VALID[acls] = unique
    return unique


def allowed(acls: ACLs, perm: int, auth_ids: list[AuthId]) -> bool:
    if not acls:
        return True
    first = acls[0]
    if first.perms & perm and first.scheme == "world" and first.id == "anyone":
        return True
    if SUPER in auth_ids:
        return True
    for a in acls:
        if not a.perms & perm:
            continue
        if a.scheme == "world" and a.id == "anyone":
            return True
        for scheme, ident in auth_ids:
            if scheme != a.scheme:
                continue
            if scheme == "ip":
                if _ip_matches(a.id, ident):
                    return True
            elif ident == a.id:
                return True
    return False


def check(acls: ACLs, perm: int, auth_ids: list[AuthId]) -> None:
    if not allowed(acls, perm, auth_ids):
        raise KeeperError(Err.NOAUTH)

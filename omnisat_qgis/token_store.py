"""The remote runner's token in QGIS's encrypted authentication database, not in plain settings.

Settings keep only the id of an authentication configuration (`omnisat/runner_authcfg`); the token is its password
(a "Basic" configuration named "OmniSat runner", visible and removable in QGIS's Authentication settings). A token
left in the old plain setting (`omnisat/runner_token`) is moved into the database the first time it is read, and
the plain copy erased. Call from the main thread only: the database may ask for the master password.
"""

from __future__ import annotations

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsSettings

from omnisat_qgis.tasks import log

AUTHCFG_KEY = "omnisat/runner_authcfg"
PLAIN_KEY = "omnisat/runner_token"
CONFIG_NAME = "OmniSat runner"


def _manager():
    am = QgsApplication.authManager()
    return None if am is None or am.isDisabled() else am


def store_token(token: str) -> str | None:
    """Save `token` (replacing the one stored before); returns the auth config id, or None if the database is
    unavailable (then nothing is saved: the caller says so)."""
    s = QgsSettings()
    am = _manager()
    old = s.value(AUTHCFG_KEY, "") or ""
    if not token:
        if old and am is not None:
            am.removeAuthenticationConfig(old)
        s.remove(AUTHCFG_KEY)
        s.remove(PLAIN_KEY)
        return None
    if am is None or not am.setMasterPassword(True):
        return None
    cfg = QgsAuthMethodConfig("Basic")
    cfg.setName(CONFIG_NAME)
    cfg.setConfig("username", "omnisat")
    cfg.setConfig("password", token)
    if old and old in am.configIds():
        cfg.setId(old)
        ok = am.updateAuthenticationConfig(cfg)
    else:
        result = am.storeAuthenticationConfig(cfg)
        ok = result[0] if isinstance(result, tuple) else bool(result)
    if not ok:
        return None
    s.setValue(AUTHCFG_KEY, cfg.id())
    s.remove(PLAIN_KEY)
    return cfg.id()


def read_token() -> str | None:
    """The stored token; migrates a plain-settings token into the database on the way."""
    s = QgsSettings()
    plain = s.value(PLAIN_KEY, "") or ""
    if plain:
        if store_token(plain) is None:
            log("the runner token is still in plain settings: QGIS's authentication database is unavailable")
            return plain
    authcfg = s.value(AUTHCFG_KEY, "") or ""
    am = _manager()
    if not authcfg or am is None:
        return None
    cfg = QgsAuthMethodConfig()
    result = am.loadAuthenticationConfig(authcfg, cfg, True)
    ok = result[0] if isinstance(result, tuple) else bool(result)
    return (cfg.config("password") or None) if ok else None

"""A minimal OpenID Connect provider that the browser tests start themselves.

Authorization code flow only, for one registered client: discovery, ``/authorize`` (a small
login form where the browser types a user name), ``/token`` (client secret, redirect URI,
PKCE S256, single-use codes), ``/jwks``, ``/userinfo`` and ``/end_session``. The ID token is
signed RS256 with a key made at start (joserfc); PKCE and ``at_hash`` use Authlib's helpers.
It runs on stdlib ``http.server`` in a thread and sets no cookies, so it cannot disturb the
cookies of a Streamlit server on another port of the same host.

    with OIDCProvider(client_id, secret, [redirect_uri], users).running() as idp:
        idp.metadata_url  # -> server_metadata_url of .streamlit/secrets.toml
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

CODE_TTL = 60
TOKEN_TTL = 3600


@dataclass(frozen=True)
class User:
    """An identity the provider vouches for; ``sub`` is opaque, as real providers make it."""

    username: str
    email: str
    name: str

    @property
    def sub(self) -> str:
        return hashlib.sha256(self.username.encode()).hexdigest()[:20]

    def claims(self) -> dict[str, str]:
        return {
            "sub": self.sub,
            "email": self.email,
            "email_verified": True,
            "name": self.name,
            "preferred_username": self.username,
        }


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for until the client redeems it."""

    user: User
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    expires: float


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass
class OIDCProvider:
    """One client, a fixed list of users; ``log`` records what happened, for assertions."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    users: Iterable[User] = ()
    host: str = "127.0.0.1"
    log: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.accounts = {u.username: u for u in self.users}
        self.key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        self.key.ensure_kid()
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, User] = {}
        self._lock = threading.Lock()
        self.issuer = ""

    # --- running -------------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self) -> Iterator[OIDCProvider]:
        """Serve on a free port in a daemon thread until the block ends."""
        server = ThreadingHTTPServer((self.host, 0), _Handler)
        server.daemon_threads = True
        server.provider = self
        self.issuer = f"http://{self.host}:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "end_session_endpoint": f"{self.issuer}/end_session",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                *("iss", "aud", "iat", "exp", "nonce", "at_hash", "sub"),
                *("email", "email_verified", "name", "preferred_username"),
            ],
        }

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}

    # --- the flow --------------------------------------------------------------------------

    def check_authorize_request(self, params: dict[str, str]) -> None:
        """Errors that must not be redirected: an unknown client or redirect URI (RFC 6749
        §4.1.2.1). The others are returned to the client by ``authorize_error``."""
        if params.get("client_id") != self.client_id:
            raise OAuthError("invalid_client", "unknown client_id")
        if params.get("redirect_uri") not in self.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered")

    def authorize_error(self, params: dict[str, str]) -> OAuthError | None:
        if params.get("response_type") != "code":
            return OAuthError("unsupported_response_type", "only response_type=code")
        if "openid" not in params.get("scope", "").split():
            return OAuthError("invalid_scope", "scope must include openid")
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return OAuthError("invalid_request", "only code_challenge_method=S256")
        return None

    def issue_code(self, params: dict[str, str], user: User) -> str:
        code = secrets.token_urlsafe(24)
        grant = Grant(
            user=user,
            redirect_uri=params["redirect_uri"],
            scope=params.get("scope", ""),
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge") or None,
            expires=time.time() + CODE_TTL,
        )
        with self._lock:
            self._codes[code] = grant
            self.log.append(("authorize", user.username))
        return code

    def exchange(self, form: dict[str, str], authorization: str | None) -> dict:
        """The token endpoint: authenticate the client, redeem the code once, sign the ID
        token."""
        client_id, secret = _client_credentials(form, authorization)
        if client_id != self.client_id or not secrets.compare_digest(
            secret or "", self.client_secret
        ):
            raise OAuthError("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") != "authorization_code":
            raise OAuthError("unsupported_grant_type", "only authorization_code")
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            raise OAuthError("invalid_grant", "unknown, used or expired code")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorize request")
        if grant.code_challenge:
            verifier = form.get("code_verifier", "")
            if not verifier or create_s256_code_challenge(verifier) != grant.code_challenge:
                raise OAuthError("invalid_grant", "PKCE verification failed")

        access_token = secrets.token_urlsafe(32)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_TTL,
            "auth_time": now,
            "at_hash": create_half_hash(access_token, "RS256").decode(),
            **grant.user.claims(),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        with self._lock:
            self._tokens[access_token] = grant.user
            self.log.append(("token", grant.user.username))
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": grant.scope,
            "id_token": id_token,
        }

    def userinfo(self, authorization: str | None) -> dict:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            user = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            raise OAuthError("invalid_token", "unknown access token", 401)
        return user.claims()

    def end_session(self, params: dict[str, str]) -> str | None:
        """RP-initiated logout: check the hint and the return address; where to go next."""
        hint = params.get("id_token_hint")
        if hint:
            try:
                token = jwt.decode(hint, self.key, algorithms=["RS256"])
            except (JoseError, ValueError) as e:
                raise OAuthError("invalid_request", f"bad id_token_hint: {e}") from e
            if token.claims.get("aud") != self.client_id:
                raise OAuthError("invalid_request", "id_token_hint is for another client")
        target = params.get("post_logout_redirect_uri")
        if target and target not in self.redirect_uris:
            raise OAuthError("invalid_request", "post_logout_redirect_uri is not registered")
        with self._lock:
            self.log.append(("logout", params.get("client_id", "")))
        if target and params.get("state"):
            target += ("&" if "?" in target else "?") + urlencode({"state": params["state"]})
        return target

    def events(self, kind: str) -> list[str]:
        with self._lock:
            return [who for what, who in self.log if what == kind]


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    """client_secret_basic (RFC 6749 §2.3.1: form-urlencoded, then base64) or _post."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        user, _, password = base64.b64decode(value).decode().partition(":")
        return unquote_plus(user), unquote_plus(password)
    return form.get("client_id", ""), form.get("client_secret", "")


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>{error}
<form method="post" action="/authorize">{hidden}
<label>User name <input name="username" autofocus></label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="deny">Cancel</button>
</form></body></html>"""


def login_page(params: dict[str, str], error: str = "") -> bytes:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("username", "action")
    )
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return LOGIN_PAGE.format(error=message, hidden=hidden).encode()


def _redirect_with(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if urlsplit(uri).query else "?") + urlencode(params)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def provider(self) -> OIDCProvider:
        return self.server.provider

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (the stdlib's name)
        pass

    def _params(self) -> dict[str, str]:
        query = urlsplit(self.path).query
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            query = self.rfile.read(length).decode()
        return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: dict, status: int = 200) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _redirect(self, location: str) -> None:
        self._send(302, b"", "text/plain", Location=location)

    def _error(self, e: OAuthError) -> None:
        body = {"error": e.error, "error_description": e.description}
        if e.status == 401:
            self._send(401, json.dumps(body).encode(), "application/json", WWW_Authenticate="Basic")
        else:
            self._json(body, e.status)

    def do_GET(self) -> None:  # noqa: N802  (the stdlib's name)
        path = urlsplit(self.path).path
        params = self._params()
        try:
            if path == "/.well-known/openid-configuration":
                self._json(self.provider.metadata())
            elif path == "/jwks":
                self._json(self.provider.jwks())
            elif path == "/userinfo":
                self._json(self.provider.userinfo(self.headers.get("Authorization")))
            elif path == "/authorize":
                self._authorize(params)
            elif path == "/end_session":
                target = self.provider.end_session(params)
                if target:
                    self._redirect(target)
                else:
                    self._send(200, b"<p>Signed out.</p>", "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")
        except OAuthError as e:
            self._error(e)

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        params = self._params()
        try:
            if path == "/token":
                self._json(self.provider.exchange(params, self.headers.get("Authorization")))
            elif path == "/userinfo":
                self._json(self.provider.userinfo(self.headers.get("Authorization")))
            elif path == "/authorize":
                self._authorize(params)
            else:
                self._send(404, b"not found", "text/plain")
        except OAuthError as e:
            self._error(e)

    def _authorize(self, params: dict[str, str]) -> None:
        provider = self.provider
        provider.check_authorize_request(params)
        back = {"state": params["state"]} if "state" in params else {}
        error = provider.authorize_error(params)
        if error is None and params.get("action") == "deny":
            error = OAuthError("access_denied", "the user cancelled")
        if error is not None:
            location = params["redirect_uri"]
            self._redirect(
                _redirect_with(
                    location, {"error": error.error, "error_description": error.description, **back}
                )
            )
            return
        if self.command == "GET":
            self._send(200, login_page(params), "text/html; charset=utf-8")
            return
        user = provider.accounts.get(params.get("username", "").strip())
        if user is None:
            self._send(200, login_page(params, "Unknown user."), "text/html; charset=utf-8")
            return
        code = provider.issue_code(params, user)
        self._redirect(_redirect_with(params["redirect_uri"], {"code": code, **back}))

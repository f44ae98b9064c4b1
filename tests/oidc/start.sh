# Sourced, not run: starts the local OpenID provider (provider.mjs) for a Palisade at an address,
# and writes a Palisade configuration naming it.
#
#   source tests/oidc/start.sh
#   oidc_start http://127.0.0.1:8080 /some/work/dir
#
# Afterwards: OIDC_PID (stop it when done), OIDC_ISSUER, OIDC_CONFIG (the TOML file to pass to
# `palisade --config`), and PALISADE_OIDC_LOCAL_CLIENT_SECRET exported for Palisade to read.
# The provider's accounts (log in with the account's name, any password):
#   admin      admin@example.nhs.uk, verified (link it: palisade admin link-identity)
#   r41-lead   a new person whose claims make them lead of R41
oidc_start() {
  local palisade="$1" work="$2"
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  local secret
  secret="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  OIDC_PORT="$port" \
  OIDC_CLIENTS="[{\"client_id\": \"palisade-demo\", \"client_secret\": \"$secret\",
    \"redirect_uris\": [\"$palisade/auth/oidc/local/callback\"],
    \"post_logout_redirect_uris\": [\"$palisade/sign-in\"],
    \"backchannel_logout_uri\": \"$palisade/auth/oidc/local/backchannel-logout\"}]" \
  OIDC_ACCOUNTS='{
    "admin": {"email": "admin@example.nhs.uk", "email_verified": true, "name": "Demo Admin"},
    "r41-lead": {"email": "sso.lead@example.nhs.uk", "email_verified": true,
                 "name": "Sam Single Sign-On", "org_code": "R41", "nhs_roles": ["lead"]}
  }' \
    node "$here/provider.mjs" >"$work/oidc.log" 2>&1 &
  OIDC_PID=$!
  OIDC_ISSUER=""
  for _ in $(seq 1 40); do
    OIDC_ISSUER="$(awk '/^ready /{print $2}' "$work/oidc.log")"
    [ -n "$OIDC_ISSUER" ] && break
    sleep 0.5
  done
  if [ -z "$OIDC_ISSUER" ]; then
    echo "the local OpenID provider did not start; its log:" >&2
    cat "$work/oidc.log" >&2
    return 1
  fi
  OIDC_CONFIG="$work/palisade.toml"
  cat >"$OIDC_CONFIG" <<TOML
[oidc.providers.local]
issuer = "$OIDC_ISSUER"
client_id = "palisade-demo"
label = "the local test identity provider"
scopes = ["email", "profile", "nhs"]

[oidc.providers.local.role_claims]
org_claim = "org_code"
role_claim = "nhs_roles"
roles = { lead = "org_lead", staff = "org_member" }
org_types = ["acute_trust"]
TOML
  export PALISADE_OIDC_LOCAL_CLIENT_SECRET="$secret"
}

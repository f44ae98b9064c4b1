-- Single sign-on (SQLite): identities from OpenID Connect providers linked to people, keyed on
-- (issuer, subject) and never on an email; invitations to link at a first sign-in; sign-in flows
-- begun and not yet finished (each state is used once); the logout tokens already seen (a replay
-- is refused); and, on each session, the provider session it came from.
CREATE TABLE identities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    issuer          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);
CREATE UNIQUE INDEX identities_key ON identities (issuer, subject);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE identity_invitations (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    invited_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE sign_in_flows (
    state_hash   TEXT    PRIMARY KEY,
    provider     TEXT    NOT NULL,
    browser_hash TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    verifier     TEXT    NOT NULL,
    next_path    TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX sign_in_flows_created ON sign_in_flows (created_at);

CREATE TABLE logout_tokens (
    issuer  TEXT    NOT NULL,
    jti     TEXT    NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX logout_tokens_seen ON logout_tokens (seen_at);

ALTER TABLE sessions ADD COLUMN idp_issuer TEXT;
ALTER TABLE sessions ADD COLUMN idp_subject TEXT;
ALTER TABLE sessions ADD COLUMN idp_sid TEXT;
CREATE INDEX sessions_idp_sid ON sessions (idp_issuer, idp_sid);
CREATE INDEX sessions_idp_subject ON sessions (idp_issuer, idp_subject);

-- The roles a provider's claims granted (its issuer), so that the next sign-in can take back
-- the ones the claims no longer name, and never a role granted by hand.
ALTER TABLE role_grants ADD COLUMN claimed_by TEXT;

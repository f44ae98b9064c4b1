use crate::audit::append;
use crate::model::*;
use crate::orgs::REGISTER_VERSION;
use crate::people::{USER_COLUMNS, UserRow, grants_column, grants_from_json};
use crate::{Result, SessionStore, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use sqlx::FromRow;

#[derive(FromRow)]
struct SessionRow {
    id_hash: String,
    csrf_token: String,
    session_auth_version: i64,
    session_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    idp_issuer: Option<String>,
    idp_subject: Option<String>,
    idp_sid: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
    register_version: i64,
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    label: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            user_id: r.user_id,
            label: r.label,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

async fn insert_session(conn: &mut sqlx::AnyConnection, s: &NewSession) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, auth_version, created_at, last_seen_at, expires_at, \
         idp_issuer, idp_subject, idp_sid) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
    )
    .bind(s.id_hash.clone())
    .bind(s.user_id)
    .bind(s.csrf_token.clone())
    .bind(s.auth_version)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.idp.as_ref().map(|i| i.issuer.clone()))
    .bind(s.idp.as_ref().map(|i| i.subject.clone()))
    .bind(s.idp.as_ref().and_then(|i| i.sid.clone()))
    .execute(conn)
    .await?;
    Ok(())
}

const TOKEN_COLUMNS: &str = "id, user_id, label, prefix, created_at, last_used_at, revoked_at";

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(&self, s: &NewSession, audit: Option<AuditDraft>) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_session(&mut tx, s).await?;
        if let Some(a) = audit {
            append(&mut tx, &a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT s.id_hash, s.csrf_token, s.auth_version AS session_auth_version, \
             s.created_at AS session_created_at, s.last_seen_at, s.expires_at, \
             s.idp_issuer, s.idp_subject, s.idp_sid, {USER_COLUMNS}, \
             {REGISTER_VERSION} AS register_version \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1"
        )))
        .bind(id_hash.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| SessionRecord {
            id_hash: r.id_hash,
            csrf_token: r.csrf_token,
            auth_version: r.session_auth_version,
            created_at: r.session_created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            idp: match (r.idp_issuer, r.idp_subject) {
                (Some(issuer), Some(subject)) => Some(IdpSession {
                    issuer,
                    subject,
                    sid: r.idp_sid,
                }),
                _ => None,
            },
            user: r.user.into(),
            register_version: r.register_version,
        }))
    }

    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn rotate_session(&self, old_id_hash: &str, new: &NewSession) -> Result<()> {
        let mut tx = self.begin_unserialised().await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(old_id_hash.to_string())
            .execute(&mut *tx)
            .await?;
        insert_session(&mut tx, new).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str, audit: Option<AuditDraft>) -> Result<()> {
        // An expired session's removal is bookkeeping; a sign-out is audited, so serialised.
        let mut tx = if audit.is_some() {
            self.begin().await?
        } else {
            self.begin_unserialised().await?
        };
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(a) = audit {
            append(&mut tx, &a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn purge_sessions(&self, now: i64, idle_cutoff: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now)
                .bind(idle_cutoff)
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    async fn create_token(&self, t: &NewToken, mut audit: AuditDraft) -> Result<ApiToken> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, TokenRow>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO api_tokens (user_id, label, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {TOKEN_COLUMNS}"
        )))
        .bind(t.user_id)
        .bind(t.label.clone())
        .bind(t.token_hash.clone())
        .bind(t.prefix.clone())
        .bind(t.now)
        .fetch_one(&mut *tx)
        .await?;
        audit.entity_id = row.id.to_string();
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn list_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as::<_, TokenRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        )))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?
        .into_iter()
        .map(ApiToken::from)
        .collect())
    }

    async fn revoke_token(&self, user_id: i64, id: i64, now: i64, audit: AuditDraft) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_token(&self, token_hash: &str) -> Result<Option<TokenOwner>> {
        // The owner and the owner's roles come in the same statement: every API request
        // starts here.
        #[derive(FromRow)]
        struct Row {
            token_id: i64,
            label: String,
            prefix: String,
            token_created_at: i64,
            last_used_at: Option<i64>,
            revoked_at: Option<i64>,
            #[sqlx(flatten)]
            user: UserRow,
            grants: String,
            register_version: i64,
        }
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT t.id AS token_id, t.label, t.prefix, t.created_at AS token_created_at, \
             t.last_used_at, t.revoked_at, {USER_COLUMNS}, {} AS grants, \
             {REGISTER_VERSION} AS register_version \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            grants_column(self.engine)
        )))
        .bind(token_hash.to_string())
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let user: User = r.user.into();
        let grants = grants_from_json(&r.grants)?;
        let token = ApiToken {
            id: r.token_id,
            user_id: user.id,
            label: r.label,
            prefix: r.prefix,
            created_at: r.token_created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        };
        Ok(Some(TokenOwner {
            token,
            user,
            grants,
            register_version: r.register_version,
        }))
    }

    async fn touch_token(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

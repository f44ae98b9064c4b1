use crate::audit::append;
use crate::db::{Sql, flag, json_rows, like_pattern, parse_rows};
use crate::model::*;
use crate::{Engine, PeopleStore, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::{Email, Role};
use palisade_domain::policy::{OrgId, Scope};
use palisade_domain::search::search_key;
use sqlx::FromRow;

pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.active, u.failed_logins, u.locked_until, u.auth_version, \
     CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS has_password, u.created_at";

#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    name: String,
    active: i64,
    failed_logins: i64,
    locked_until: Option<i64>,
    auth_version: i64,
    has_password: i64,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            active: r.active != 0,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            auth_version: r.auth_version,
            has_password: r.has_password != 0,
            created_at: r.created_at,
        }
    }
}

fn parse_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| StoreError::Unsupported(format!("stored role '{s}' is not recognised")))
}

/// A person's roles as both readers take them: the columns of a [`GrantRow`], where they come
/// from (the person is `user_id`, an expression of the statement, or a parameter pushed right
/// after when it is empty), and their order.
const GRANT_COLUMNS: &str = "g.role, g.org_id, o.code, o.name";
const GRANT_ORDER: &str = "g.role, COALESCE(o.code, '')";
fn grants_from(user_id: &str) -> String {
    format!(
        "FROM role_grants g LEFT JOIN organisations o ON o.id = g.org_id WHERE g.user_id = {user_id}"
    )
}

/// A role as read: the role, and the organisation's id, code and name where it has one.
type GrantRow = (String, Option<i64>, Option<String>, Option<String>);

fn grant((role, org_id, org_code, org_name): GrantRow) -> Result<GrantRecord> {
    Ok(GrantRecord {
        role: parse_role(&role)?,
        org_id,
        org_code,
        org_name,
    })
}

/// A column holding the roles of the person `u.id` of the statement, all of them, in the order
/// [`PeopleStore::grants_of`] gives; read it back with [`grants_from_json`]. For reads that must know who
/// someone is and what they may do in one statement.
pub(crate) fn grants_column(engine: Engine) -> String {
    json_rows(engine, GRANT_COLUMNS, &grants_from("u.id"), GRANT_ORDER)
}

/// The roles in a [`grants_column`].
pub(crate) fn grants_from_json(json: &str) -> Result<Vec<GrantRecord>> {
    parse_rows::<GrantRow>("roles", json)?
        .into_iter()
        .map(grant)
        .collect()
}

#[async_trait]
impl PeopleStore for SqlStore {
    async fn create_user(&self, new: &NewUser, mut audit: AuditDraft) -> Result<User> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, active, failed_logins, auth_version, created_at, updated_at, search_name) \
             VALUES ($1, $2, $3, 1, 0, 1, $4, $4, $5) RETURNING id",
        )
        .bind(new.email.to_lowercase())
        .bind(new.name.clone())
        .bind(new.password_hash.clone())
        .bind(new.now)
        .bind(search_key(&new.name))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::conflict("email", format!("someone with email '{}' exists already", new.email))
            } else {
                e.into()
            }
        })?;
        audit.entity_id = id.to_string();
        append(&mut tx, &audit).await?;
        if let Some(g) = &new.first_grant {
            insert_grant(&mut tx, id, g.role, g.org_id, new.now).await?;
            let mut grant_audit = g.audit.clone();
            grant_audit.entity_id = id.to_string();
            append(&mut tx, &grant_audit).await?;
        }
        let mut sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = "));
        sql.i64(id);
        let user = sql.query_as::<UserRow>().fetch_one(&mut *tx).await?.into();
        tx.commit().await?;
        Ok(user)
    }

    async fn get_user(&self, id: i64) -> Result<Option<User>> {
        let mut sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = "));
        sql.i64(id);
        Ok(sql
            .query_as::<UserRow>()
            .fetch_optional(&self.read)
            .await?
            .map(User::from))
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let mut sql = Sql::new(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.email = "
        ));
        sql.text(email.as_str());
        Ok(sql
            .query_as::<UserRow>()
            .fetch_optional(&self.read)
            .await?
            .map(User::from))
    }

    async fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT password_hash FROM users WHERE id = $1",
            )
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?
            .flatten(),
        )
    }

    async fn list_users(&self, scope: &Scope, q: &str, page: PageRequest) -> Result<Page<User>> {
        let build = |select: &str| {
            let mut sql = Sql::default();
            let scoped = sql.scope_cte(scope);
            sql.push(select).push(" WHERE 1 = 1");
            if scoped {
                sql.push(" AND u.id IN (SELECT g.user_id FROM role_grants g WHERE g.org_id IN (SELECT id FROM visible))");
            }
            if !q.trim().is_empty() {
                let pat = like_pattern(q);
                sql.push(" AND (LOWER(u.email) LIKE ")
                    .text(&pat)
                    .push(" ESCAPE '\\' OR u.search_name LIKE ");
                sql.text(&pat).push(" ESCAPE '\\')");
            }
            sql
        };
        let total = build("SELECT COUNT(*) FROM users u")
            .query_scalar::<i64>()
            .fetch_one(&self.read)
            .await?;
        let mut sql = build(&format!("SELECT {USER_COLUMNS} FROM users u"));
        sql.push(" ORDER BY u.search_name, u.email LIMIT ")
            .i64(page.limit())
            .push(" OFFSET ")
            .i64(page.offset());
        let items = sql
            .query_as::<UserRow>()
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .map(User::from)
            .collect();
        Ok(Page::of(items, total, page))
    }

    async fn grants_of(&self, user_id: i64, scope: &Scope) -> Result<Vec<GrantRecord>> {
        let mut sql = Sql::default();
        let scoped = sql.scope_cte(scope);
        sql.push(&format!("SELECT {GRANT_COLUMNS} {} ", grants_from("")))
            .i64(user_id);
        if scoped {
            sql.push(" AND g.org_id IN (SELECT id FROM visible)");
        }
        sql.push(&format!(" ORDER BY {GRANT_ORDER}"));
        let rows = sql.query_as::<GrantRow>().fetch_all(&self.read).await?;
        rows.into_iter().map(grant).collect()
    }

    async fn people_of_org(&self, org_id: OrgId) -> Result<Vec<(User, Role)>> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            role: String,
        }
        let mut sql = Sql::new(&format!(
            "SELECT {USER_COLUMNS}, g.role FROM role_grants g JOIN users u ON u.id = g.user_id WHERE g.org_id = "
        ));
        sql.i64(org_id)
            .push(" ORDER BY u.search_name, u.email, g.role");
        sql.query_as::<Row>()
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .map(|r| Ok((User::from(r.user), parse_role(&r.role)?)))
            .collect()
    }

    async fn add_grant(
        &self,
        user_id: i64,
        role: Role,
        org_id: Option<OrgId>,
        audit: AuditDraft,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role = $2 AND COALESCE(org_id, 0) = $3",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(org_id.unwrap_or(0))
        .fetch_one(&mut *tx)
        .await?;
        if exists > 0 {
            return Err(StoreError::conflict(
                "role",
                format!("already holds the role {}", role.as_str()),
            ));
        }
        insert_grant(&mut tx, user_id, role, org_id, audit.at).await?;
        bump_auth_version(&mut tx, user_id, audit.at).await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_grant(
        &self,
        user_id: i64,
        role: Role,
        org_id: Option<OrgId>,
        audit: AuditDraft,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND COALESCE(org_id, 0) = $3",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(org_id.unwrap_or(0))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if role == Role::NationalAdmin {
            keep_an_admin(&mut tx).await?;
        }
        bump_auth_version(&mut tx, user_id, audit.at).await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_active(&self, user_id: i64, active: bool, audit: AuditDraft) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("UPDATE users SET active = $1, updated_at = $2, auth_version = auth_version + 1 WHERE id = $3")
            .bind(flag(active))
            .bind(audit.at)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if !active {
            let is_admin: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role = 'national_admin' AND org_id IS NULL",
            )
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            if is_admin > 0 {
                keep_an_admin(&mut tx).await?;
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        audit: AuditDraft,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2, \
             auth_version = auth_version + 1 WHERE id = $3",
        )
        .bind(password_hash.to_string())
        .bind(audit.at)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        // A new password ends every session made with the old one.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_login_attempt(&self, a: &LoginAttempt) -> Result<Option<i64>> {
        // One statement checks the lock, counts the attempt and sets the lock, so parallel
        // attempts are serialised by the row: at most `threshold` get through per lock period.
        // A lock that has run out starts a fresh count.
        Ok(sqlx::query_scalar(
            "UPDATE users SET \
               failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END, \
               locked_until = CASE \
                 WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $2 \
                 THEN $3 ELSE NULL END \
             WHERE id = $4 AND (locked_until IS NULL OR locked_until <= $1) \
             RETURNING failed_logins",
        )
        .bind(a.now)
        .bind(a.threshold)
        .bind(a.lock_until)
        .bind(a.user_id)
        .fetch_optional(&self.write)
        .await?)
    }

    async fn record_login_success(&self, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

async fn insert_grant(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    role: Role,
    org_id: Option<OrgId>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO role_grants (user_id, role, org_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(role.as_str())
    .bind(org_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Refuses a change that would leave no active national administrator (checked inside the
/// change's transaction, after it, so concurrent removals cannot both pass).
pub(crate) async fn keep_an_admin(conn: &mut sqlx::AnyConnection) -> Result<()> {
    let admins: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.role = 'national_admin' AND g.org_id IS NULL AND u.active = 1",
    )
    .fetch_one(conn)
    .await?;
    if admins == 0 {
        return Err(StoreError::conflict(
            "role",
            "this would leave no active national administrator",
        ));
    }
    Ok(())
}

pub(crate) async fn bump_auth_version(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET auth_version = auth_version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

use palisade_domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The request conflicts with what is stored (a duplicate code or email, a role held already).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// Fields changed by someone else since the writer read them, each named with what it holds
    /// now: nothing was written.
    #[error("{0}")]
    Stale(FieldErrors),
    /// Input that only the database can judge (an unknown parent code, a cycle).
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Unsupported(String),
}

impl StoreError {
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// True when the database refused a row because a unique key exists already.
    pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::Database(d) => {
                d.is_unique_violation() || d.message().contains("UNIQUE constraint failed")
            }
            _ => false,
        }
    }
}

/// A stored value this version does not recognise (a hand-edited row, or a newer version's data).
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Unsupported(format!("stored {what} '{value}' is not recognised"))
}

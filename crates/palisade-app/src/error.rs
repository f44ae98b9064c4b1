use palisade_domain::{FieldError, FieldErrors};
use palisade_store::StoreError;

/// What can go wrong in a use-case, in terms the web and CLI layers turn into 4xx/5xx and exit codes.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in required")]
    Unauthenticated,
    #[error("you do not have permission to do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// Fields someone else changed meanwhile (answered `409`, each field named).
    #[error("{0}")]
    Stale(FieldErrors),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message).into())
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        Self::Invalid(e)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { field, message } => Self::Conflict { field, message },
            StoreError::Invalid(errs) => Self::Invalid(errs),
            StoreError::Stale(errs) => Self::Stale(errs),
            other => {
                tracing::error!(error = %other, "store failure");
                Self::Internal(other.to_string())
            }
        }
    }
}

//! The API tokens page: create (shown once) and revoke.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

pub(crate) async fn tokens_page(
    s: &AppState,
    u: &PageUser,
    errors: Errors,
    new_token: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tokens = s
        .app
        .list_api_tokens(&u.0.actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            label: t.label,
            prefix: t.prefix,
            created: when(t.created_at),
            last_used: t.last_used_at.map(when).unwrap_or_else(|| "Never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    Ok(render_status(
        status,
        &Tokens {
            l: Layout::for_session(&u.0),
            errors,
            tokens,
            new_token,
        },
    ))
}

pub(crate) async fn tokens(State(s): State<AppState>, u: PageUser) -> PageResult {
    tokens_page(&s, &u, Errors::default(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    pub(crate) label: String,
}

pub(crate) async fn create_token(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<TokenForm>,
) -> PageResult {
    match s.app.create_api_token(&u.0.actor, &f.label).await {
        Ok((_, plain)) => {
            tokens_page(&s, &u, Errors::default(), Some(plain), StatusCode::CREATED).await
        }
        Err(e) => {
            tokens_page(
                &s,
                &u,
                form_errors(e)?,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub(crate) async fn revoke_token(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    s.app.revoke_api_token(&u.0.actor, id).await?;
    Ok(see_other("/tokens"))
}

pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub struct Tokens {
    pub l: Layout,
    pub errors: Errors,
    pub tokens: Vec<TokenRow>,
    pub new_token: Option<String>,
}

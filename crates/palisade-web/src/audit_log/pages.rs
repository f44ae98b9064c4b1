//! The audit log page.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::extract::{Query, State};
use palisade_app::AppError;
use palisade_domain::page::PageRequest;
use palisade_domain::policy::OrgAction;
use palisade_store::AuditFilter;
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    pub(crate) action: String,
    #[serde(default)]
    pub(crate) actor: String,
    #[serde(default)]
    pub(crate) org_code: String,
    pub(crate) page: Option<u32>,
}

pub(crate) async fn audit(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let mut errors = Errors::default();
    let org_id = if q.org_code.trim().is_empty() {
        None
    } else {
        match s.app.org_for(&u.actor, &q.org_code, OrgAction::View).await {
            Ok(v) => Some(v.org.id),
            Err(AppError::NotFound) => {
                errors = Errors::one("org_code", "is not an organisation you can see");
                Some(-1)
            }
            Err(e) => return Err(e.into()),
        }
    };
    let filter = AuditFilter {
        action: Some(q.action.trim().to_string()),
        actor: Some(q.actor.trim().to_string()),
        org_id,
        entity_type: None,
    };
    let page = s
        .app
        .list_audit(&u.actor, &filter, PageRequest::new(q.page, Some(50)))
        .await?;
    let base = list_url(
        "/audit",
        &[
            ("action", &q.action),
            ("actor", &q.actor),
            ("org_code", &q.org_code),
        ],
    );
    let pager = Pager::new(&page, &base);
    let rows = page
        .items
        .into_iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: when(r.at),
            actor: r.actor,
            action: r.action,
            org: r.org_code.unwrap_or_default(),
            summary: shortened(&r.summary, AUDIT_SUMMARY_CHARS),
        })
        .collect();
    Ok(render(&Audit {
        l: Layout::for_session(&u),
        errors,
        f_action: q.action,
        f_actor: q.actor,
        f_org: q.org_code,
        rows,
        pager,
    }))
}

/// An audit summary longer than this is cut on the page (a bulk answer lists every reference it
/// changed); `GET /api/v1/audit` returns every entry whole.
pub(crate) const AUDIT_SUMMARY_CHARS: usize = 160;

/// `text`, cut to `max` characters with an ellipsis when longer.
pub(crate) fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub org: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct Audit {
    pub l: Layout,
    pub errors: Errors,
    pub f_action: String,
    pub f_actor: String,
    pub f_org: String,
    pub rows: Vec<AuditRow>,
    pub pager: Pager,
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_summaries_are_cut_on_a_character_boundary() {
        assert_eq!(super::shortened("abc", 3), "abc");
        assert_eq!(super::shortened("abcd", 3), "abc…");
        assert_eq!(super::shortened("ééé€", 3), "ééé…");
        assert_eq!(super::shortened("", 0), "");
    }
}

//! The statements that run hottest at national scale, as the store runs them, for a test to
//! read each one's plan on both engines and fail when one reads a whole large table (an index
//! dropped or never made). A statement joins this list when it is found slow under load.

use crate::Engine;

/// A statement whose plan must reach `table` through `index`.
#[derive(Debug, Clone)]
pub struct HotQuery {
    pub name: &'static str,
    /// The table that must not be read whole.
    pub table: &'static str,
    /// The index the plan must use: another index of the same table may still read far more.
    pub index: &'static str,
    /// The statement's text, with its parameters (`$1`, ...) as the store sends it.
    pub sql: String,
    /// Whether it groups the rows the index finds, and may sort those (not the table) to do so.
    pub groups: bool,
}

/// The hot statements for `engine`.
pub fn hot_queries(engine: Engine) -> Vec<HotQuery> {
    vec![
        HotQuery {
            name: "outbox: claim due messages",
            table: "outbox",
            index: "outbox_pending",
            sql: crate::delivery::claim_sql(engine, &["email", "sms"]),
            groups: false,
        },
        HotQuery {
            name: "outbox: the oldest pending message",
            table: "outbox",
            index: "outbox_pending_created",
            sql: crate::delivery::OLDEST_PENDING.to_string(),
            groups: false,
        },
        HotQuery {
            name: "board: an alert's late responses",
            table: "alert_responses",
            index: "alert_responses_late",
            sql: crate::board::late_sql(),
            groups: true,
        },
    ]
}

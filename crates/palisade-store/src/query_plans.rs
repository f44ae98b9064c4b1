//! The statements that run hottest at national scale, as the store runs them, for a test to
//! read each one's plan on both engines and fail when one reads a whole large table (an index
//! dropped or never made). A statement joins this list when it is found slow under load.

use crate::Engine;
use crate::db::Window;
use crate::model::{ResponseFilter, StatusFilter};
use palisade_domain::policy::Scope;

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
            sql: crate::delivery::due_sql(engine),
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
        HotQuery {
            name: "export: the next chunk of an alert's responses",
            table: "alert_responses",
            index: by_engine(
                engine,
                "sqlite_autoindex_alert_responses_1",
                "alert_responses_pkey",
            ),
            sql: crate::alerts::responses_sql(
                engine,
                1,
                &Scope::All,
                &ResponseFilter::default(),
                Window::After(Some("M"), 2000),
            )
            .text,
            groups: export_may_sort(engine),
        },
        HotQuery {
            name: "export: the next chunk of the statuses",
            table: "organisations",
            index: organisation_codes(engine),
            sql: crate::assessments::statuses_sql(
                engine,
                &Scope::All,
                2026,
                &StatusFilter::default(),
                Window::After(Some("M"), 2000),
            )
            .text,
            groups: export_may_sort(engine),
        },
        HotQuery {
            name: "export: the next chunk of the register",
            table: "organisations",
            index: organisation_codes(engine),
            sql: crate::orgs::export_sql(&Scope::All, Window::After(Some("M"), 2000)).text,
            groups: export_may_sort(engine),
        },
    ]
}

/// Whether an export's chunk may sort what its index found. On SQLite it must not: it walks the
/// codes in order (see `alerts::responses_sql`). PostgreSQL plans from statistics, and the
/// test's tables are empty: there it sorts the few rows found, and at scale reads the codes'
/// index in order (the chunk has a limit), which the test cannot show.
fn export_may_sort(engine: Engine) -> bool {
    engine == Engine::Postgres
}

/// The index of organisations' codes.
fn organisation_codes(engine: Engine) -> &'static str {
    by_engine(
        engine,
        "sqlite_autoindex_organisations_1",
        "organisations_code_key",
    )
}

/// The name an index has on each engine (a constraint's index is named by the engine).
fn by_engine(engine: Engine, sqlite: &'static str, postgres: &'static str) -> &'static str {
    match engine {
        Engine::Sqlite => sqlite,
        Engine::Postgres => postgres,
    }
}

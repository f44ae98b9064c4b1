//! The HTTP surface, driven in-process through the router, on SQLite and (when configured)
//! PostgreSQL. The cross-tenant matrix walks every API route and page with every role.
//!
//! `support` holds the harness; each other module is one feature of the application. A scenario
//! that runs on both engines is an `async fn(H)` turned into `<name>_sqlite` and `<name>_postgres`
//! tests by `support::per_engine!`.

mod support;

mod alerts;
mod alerts_pages;
mod assessment_pages;
mod assessments;
mod auth;
mod charter;
mod csaf_import;
mod errors;
mod estate;
mod evidence;
mod exports;
mod exposure;
mod incidents;
mod independent_audit;
mod indicator_feed;
mod inventory;
mod jobs;
mod limits;
mod matrix;
mod matrix_pages;
mod openapi;
mod organisations;
mod plans;
mod playbooks;
mod posture;
mod publications;
mod reminders;
mod search;
mod sso;
mod supplier_exposure;
mod suppliers;
mod worklist;

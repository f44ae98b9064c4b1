//! Palisade's pure rules and types.
//!
//! Nothing in this crate performs I/O, reads a clock or awaits: every decision takes its inputs
//! (including `now`) as arguments, so the rules can be tested exhaustively and quickly.

pub mod advisory;
pub mod alert;
pub mod assessment;
pub mod audit;
pub mod charter;
pub mod clock;
pub mod dates;
pub mod eol;
pub mod error;
pub mod exposure;
pub mod framework;
pub mod ident;
pub mod incident;
pub mod independent_audit;
pub mod indicator;
pub mod inventory;
pub mod kev;
pub mod org;
pub mod page;
pub mod people;
pub mod plan;
pub mod policy;
pub mod reach;
pub mod sample;
pub mod search;
pub mod sso;
pub mod supplier;
pub mod version;

pub use error::{FieldError, FieldErrors};

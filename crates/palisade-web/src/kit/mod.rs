//! The shared kit every resource builds on: extractors and the JSON envelope, errors, identity
//! (sessions, tokens, CSRF), rate limits, page views and file responses. It imports nothing
//! above it but the state it reads.

pub(crate) mod envelope;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod files;
pub(crate) mod identity;
pub(crate) mod limits;
pub(crate) mod params;
pub(crate) mod views;

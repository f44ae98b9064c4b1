//! The shared kit every resource builds on: extractors and the JSON envelope, errors, identity
//! (sessions, tokens, CSRF), page views and file responses. It imports nothing above it.

pub(crate) mod envelope;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod files;
pub(crate) mod identity;
pub(crate) mod params;
pub(crate) mod views;

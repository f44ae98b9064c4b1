//! Adapters to the outside world: the couriers that hand outbox messages on, each implementing
//! `palisade_app::delivery::Courier`, the port the outbox worker drives; and the feed sources the
//! feeds job reads (`palisade_app::feed_refresh::FeedSource`). The app never names SMTP, Notify
//! or HTTP itself.

pub mod feeds;
mod notify;
pub mod oidc;
mod relay;
mod smtp;
mod web;

pub use notify::NotifyCourier;
pub use smtp::SmtpCourier;

//! Delivery adapters: the couriers that hand outbox messages to the outside world. Each
//! implements `palisade_app::delivery::Courier`, the port the outbox worker drives; the app
//! never names SMTP or Notify itself.

mod notify;
mod smtp;

pub use notify::NotifyCourier;
pub use smtp::SmtpCourier;

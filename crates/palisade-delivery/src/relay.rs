//! The connections to the SMTP relay: opened by Palisade with Nagle's algorithm off, kept open
//! between messages, and encrypted as the relay's URL says; lettre speaks SMTP over them.
//!
//! lettre writes a message and the line that ends it in two writes. On a socket with Nagle's
//! algorithm on (lettre's own connections, up to 0.11.23), the second write waits until the
//! relay acknowledges the first, and a relay delays that acknowledgement (40 ms on Linux) while
//! it waits for the end of the message: every message took at least 40 ms on its connection.
//! So Palisade opens the TCP connection itself with `TCP_NODELAY` and hands it to lettre's
//! client, which still does the greeting, STARTTLS (verifying the relay's certificate against
//! the system's roots) and authentication.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A connection idle this long is closed rather than used (as lettre's own pool does).
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// How long a kept connection has to answer NOOP before it is taken for dead.
const NOOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a message did not reach the relay.
#[derive(Debug)]
pub enum RelayError {
    /// The relay could not be reached, or the session not set up (greeting, encryption,
    /// authentication): never the message's fault, so always worth trying again.
    Connect(String),
    /// The relay answered the message with an error, or the connection broke mid-way.
    Smtp(lettre::transport::smtp::Error),
}

impl std::error::Error for RelayError {}

impl std::fmt::Display for RelayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "connecting to the mail relay: {e}"),
            Self::Smtp(e) => e.fmt(f),
        }
    }
}

impl From<lettre::transport::smtp::Error> for RelayError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Self::Smtp(e)
    }
}

/// How the connection is encrypted.
enum Encryption {
    /// Not at all: a relay on a trusted network (`smtp://host`).
    None,
    /// STARTTLS after the greeting: always (`?tls=required`), or when the relay offers it
    /// (`?tls=opportunistic`).
    StartTls {
        params: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit {
        connector: TlsConnector,
        name: ServerName<'static>,
    },
}

/// Where and how to reach the relay, from its URL.
struct Target {
    host: String,
    port: u16,
    encryption: Encryption,
    hello: ClientId,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
}

/// `smtp://host[:port]` (plain, port 25), `smtp://host[:port]?tls=required` or
/// `?tls=opportunistic` (STARTTLS, port 587), `smtps://host[:port]` (TLS, port 465); with
/// `user:password@` to authenticate and a path to name Palisade in the greeting. The ports and
/// forms are lettre's; unlike lettre, other parameters, a user without a password, and a
/// password on a connection that may not be encrypted (plain or opportunistic) are refused.
fn target(url: &str, connect_timeout: Duration) -> Result<Target, String> {
    let url = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err("the URL names no host".into()),
    };
    let mut tls = None;
    for (k, v) in url.query_pairs() {
        match (k.as_ref(), tls) {
            ("tls", None) => tls = Some(v.into_owned()),
            _ => return Err(format!("unknown or repeated parameter '{k}'")),
        }
    }
    let starttls = |required| -> Result<Encryption, String> {
        Ok(Encryption::StartTls {
            params: TlsParameters::new(host.clone()).map_err(|e| e.to_string())?,
            required,
        })
    };
    let (encryption, default_port) = match (url.scheme(), tls.as_deref()) {
        ("smtp", None) => (Encryption::None, 25),
        ("smtp", Some("required")) => (starttls(true)?, 587),
        ("smtp", Some("opportunistic")) => (starttls(false)?, 587),
        ("smtps", None) => (
            Encryption::Implicit {
                connector: tls_connector()?,
                name: ServerName::try_from(host.clone()).map_err(|e| e.to_string())?,
            },
            465,
        ),
        (scheme, tls) => {
            return Err(format!(
                "'{scheme}' with tls={} is not smtp://, smtp://...?tls=required, \
                 smtp://...?tls=opportunistic or smtps://",
                tls.unwrap_or("(none)")
            ));
        }
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|e| e.to_string())
    };
    let credentials = match url.password() {
        Some(_)
            if !matches!(
                encryption,
                Encryption::Implicit { .. } | Encryption::StartTls { required: true, .. }
            ) =>
        {
            return Err(
                "a password is only sent encrypted: use smtps:// or smtp://...?tls=required".into(),
            );
        }
        Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
        None if !url.username().is_empty() => return Err("a user without a password".into()),
        None => None,
    };
    let path = url.path().trim_matches('/');
    let hello = if path.is_empty() {
        ClientId::default()
    } else {
        ClientId::Domain(path.to_string())
    };
    Ok(Target {
        port: url.port().unwrap_or(default_port),
        host,
        encryption,
        hello,
        credentials,
        connect_timeout,
    })
}

/// TLS from the first byte, verified against the system's trusted roots.
fn tls_connector() -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    let (added, _) =
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if added == 0 {
        return Err("no trusted root certificate found on this system for smtps://".into());
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

impl Target {
    async fn connect(&self) -> Result<AsyncSmtpConnection, RelayError> {
        let tcp = tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| RelayError::Connect("timed out".into()))?
        .map_err(|e| RelayError::Connect(e.to_string()))?;
        tcp.set_nodelay(true)
            .map_err(|e| RelayError::Connect(e.to_string()))?;
        let stream: Box<dyn AsyncTokioStream> = match &self.encryption {
            Encryption::Implicit { connector, name } => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| RelayError::Connect(format!("TLS: {e}")))?;
                Box::new(Tls { inner: tls })
            }
            _ => Box::new(tcp),
        };
        // lettre takes every stream it is handed for plain TCP: `is_encrypted()` is false on an
        // smtps:// connection too, so nothing here may depend on it.
        let setup = |e: lettre::transport::smtp::Error| RelayError::Connect(e.to_string());
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(setup)?;
        match &self.encryption {
            Encryption::StartTls { params, required } if *required || conn.can_starttls() => {
                conn.starttls(params.clone(), &self.hello)
                    .await
                    .map_err(setup)?;
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(setup)?;
        }
        Ok(conn)
    }
}

/// A TLS session over TCP, as lettre's client takes a stream.
#[derive(Debug)]
struct Tls {
    inner: tokio_rustls::client::TlsStream<TcpStream>,
}

impl AsyncRead for Tls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Tls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().0.peer_addr()
    }
}

/// At most `connections` connections to the relay, one message on each at a time; those
/// between messages wait to be used again.
pub struct Relay {
    target: Target,
    slots: Semaphore,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl Relay {
    /// The relay at `url` (see [`target`]), at most `connections` open at once.
    pub fn new(url: &str, connections: usize, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            target: target(url, timeout)?,
            slots: Semaphore::new(connections.clamp(1, Semaphore::MAX_PERMITS)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one message on a connection of the pool, opening one when none is free.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, RelayError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the pool's semaphore is never closed");
        let mut conn = match self.take().await {
            Some(conn) => conn,
            None => self.target.connect().await?,
        };
        let sent = conn.send(envelope, message).await;
        // A connection lettre found broken it has closed already (any error aborts it).
        if !conn.has_broken() {
            self.lock().push((conn, Instant::now()));
        }
        Ok(sent?)
    }

    /// An open connection left by an earlier message, if one is still good: the relay may
    /// have closed it since (a restart, or a limit of messages a connection), so it is asked
    /// (NOOP, one round trip) before it is used, as lettre's own pool does.
    async fn take(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, _) = {
                let mut idle = self.lock();
                prune(&mut idle);
                idle.pop()?
            };
            if tokio::time::timeout(NOOP_TIMEOUT, conn.test_connected())
                .await
                .unwrap_or(false)
            {
                return Some(conn);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(AsyncSmtpConnection, Instant)>> {
        // A panic while holding the list leaves it whole (a push or a pop): keep using it.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Closes the connections idle past [`IDLE_LIMIT`] (the oldest come first in the list), when
/// a message is about to be sent; without a QUIT, which a relay gone quiet might never answer.
fn prune(idle: &mut Vec<(AsyncSmtpConnection, Instant)>) {
    let fresh = idle
        .iter()
        .position(|(_, since)| since.elapsed() < IDLE_LIMIT)
        .unwrap_or(idle.len());
    idle.drain(..fresh);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Target {
        target(url, Duration::from_secs(1)).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// A limit of no connections would send nothing, and one past the semaphore's maximum
    /// would panic: both are held to what a pool can be.
    #[test]
    fn the_connection_limit_is_held_between_one_and_the_most_a_pool_can_take() {
        let slots = |n| {
            Relay::new("smtp://127.0.0.1:2525", n, Duration::from_secs(1))
                .unwrap()
                .slots
                .available_permits()
        };
        assert_eq!(slots(0), 1);
        assert_eq!(slots(1), 1);
        assert_eq!(slots(64), 64);
        assert_eq!(slots(usize::MAX), Semaphore::MAX_PERMITS);
    }

    #[test]
    fn urls_name_the_host_port_encryption_and_sign_in() {
        let t = parsed("smtp://relay.example");
        assert_eq!((t.host.as_str(), t.port), ("relay.example", 25));
        assert!(matches!(t.encryption, Encryption::None));
        assert!(t.credentials.is_none());

        let t = parsed("smtp://relay.example?tls=required");
        assert_eq!(t.port, 587);
        assert!(matches!(
            t.encryption,
            Encryption::StartTls { required: true, .. }
        ));
        let t = parsed("smtp://relay.example:2525?tls=opportunistic");
        assert_eq!(t.port, 2525);
        assert!(matches!(
            t.encryption,
            Encryption::StartTls {
                required: false,
                ..
            }
        ));

        let t = parsed("smtp://[::1]:2525/palisade.example?tls=required");
        assert_eq!((t.host.as_str(), t.port), ("::1", 2525));
        assert_eq!(t.hello, ClientId::Domain("palisade.example".into()));

        let t = parsed("smtp://user%40org:p%20ss@relay.example?tls=required");
        assert_eq!(
            t.credentials,
            Some(Credentials::new("user@org".into(), "p ss".into()))
        );
    }

    #[test]
    fn implicit_tls_uses_the_system_roots() {
        // Only where the system has roots (a machine without ca-certificates refuses the URL).
        if rustls_native_certs::load_native_certs().certs.is_empty() {
            return;
        }
        let t = parsed("smtps://u:p@relay.example");
        assert_eq!(t.port, 465);
        assert!(matches!(t.encryption, Encryption::Implicit { .. }));
    }

    #[test]
    fn other_urls_are_refused() {
        for bad in [
            "ftp://relay.example",
            "smtp://relay.example?tls=sometimes",
            "smtps://relay.example?tls=required",
            "smtp://relay.example?tls=required&tls=required",
            "smtp://relay.example?timeout=1",
            "smtp://user@relay.example",
            // A password only goes where the connection is sure to be encrypted.
            "smtp://user:secret@relay.example",
            "smtp://user:secret@relay.example?tls=opportunistic",
            "smtp://",
            "not a url",
        ] {
            assert!(target(bad, Duration::from_secs(1)).is_err(), "{bad}");
        }
    }
}

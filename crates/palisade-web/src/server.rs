//! Serving connections: HTTP/1.1 with a time limit on reading each request's headers (which
//! also closes a keep-alive connection left idle that long) and a bound on the connections held
//! at once. Slow or silent clients therefore cost a server at most `max_connections` sockets for
//! at most `header_read_timeout` each, and a stop lets requests in flight finish.

use crate::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Bounds on connections (see docs/OPERATIONS.md for the defaults and their reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The longest a client may take to send a request's headers, counted from when the
    /// connection opens or the previous response was sent: a keep-alive connection idle for
    /// longer is closed.
    pub header_read_timeout: Duration,
    /// Connections held at once; further clients wait in the listen queue until one closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(15),
            max_connections: 1000,
        }
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting and waits for
/// the connections' requests in flight to finish (the caller bounds that wait).
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.cfg.connections.clone();
    let router = crate::router(state);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before it was taken: wait a
                    // moment rather than spin, and go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer's address is what the rate limit per client keys on.
        let service = router
            .clone()
            .map_request(move |req: axum::http::Request<Incoming>| {
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

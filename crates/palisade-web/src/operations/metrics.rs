//! Prometheus text metrics: request counts by status class and total handling time.

use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub(crate) by_class: [AtomicU64; 5],
    pub(crate) micros_total: AtomicU64,
}

impl Metrics {
    pub fn render(&self, db_up: bool) -> String {
        let mut s = String::from(
            "# HELP palisade_http_requests_total HTTP requests answered, by status class.\n# TYPE palisade_http_requests_total counter\n",
        );
        for (i, c) in self.by_class.iter().enumerate() {
            s.push_str(&format!(
                "palisade_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Ordering::Relaxed)
            ));
        }
        let count: u64 = self
            .by_class
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        s.push_str("# HELP palisade_http_request_duration_seconds Time spent handling requests.\n# TYPE palisade_http_request_duration_seconds summary\n");
        s.push_str(&format!(
            "palisade_http_request_duration_seconds_sum {:.6}\npalisade_http_request_duration_seconds_count {count}\n",
            self.micros_total.load(Ordering::Relaxed) as f64 / 1e6
        ));
        s.push_str("# HELP palisade_database_up Whether the database answered.\n# TYPE palisade_database_up gauge\n");
        s.push_str(&format!("palisade_database_up {}\n", u8::from(db_up)));
        s.push_str(&format!(
            "# HELP palisade_build_info Build information.\n# TYPE palisade_build_info gauge\npalisade_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        ));
        s
    }
}

pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Elapsed time of a request is measurement, not a domain decision, so a monotonic timer is fine.
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let class = (res.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    state.metrics.by_class[class].fetch_add(1, Ordering::Relaxed);
    state
        .metrics
        .micros_total
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    res
}

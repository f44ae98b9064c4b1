//! Prometheus metrics through the `metrics` facade: requests by status class, the time spent
//! handling them, whether the database answers, and the build. The recorder is process-wide (the
//! facade has one), so every router in a process reports into the same registry.

use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use palisade_store::JobRecord;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

const REQUESTS: &str = "palisade_http_requests_total";
const DURATION: &str = "palisade_http_request_duration_seconds";
const DATABASE_UP: &str = "palisade_database_up";
const BUILD_INFO: &str = "palisade_build_info";
const JOB_LAST_SUCCESS: &str = "palisade_job_last_success_timestamp_seconds";
const JOB_FAILURES: &str = "palisade_job_consecutive_failures";
const JOB_FAILURES_TOTAL: &str = "palisade_job_failures_total";
const JOB_RUNNING: &str = "palisade_job_running";
const ORG_CACHE: &str = "palisade_organisation_cache_lookups_total";

/// The process's metrics registry, rendered as Prometheus text at `/metrics`.
pub struct Metrics {
    handle: PrometheusHandle,
    /// Handles registered once, so a request costs an atomic add, not a registry lookup.
    by_class: [metrics::Counter; 5],
    duration: metrics::Histogram,
    requests: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            // A histogram with fixed buckets: constant memory, and it adds up across servers.
            let recorder = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            metrics::describe_counter!(REQUESTS, "HTTP requests answered, by status class.");
            metrics::describe_histogram!(
                DURATION,
                metrics::Unit::Seconds,
                "Time spent handling requests."
            );
            metrics::describe_gauge!(DATABASE_UP, "Whether the database answered.");
            metrics::describe_gauge!(BUILD_INFO, "Build information.");
            metrics::describe_gauge!(
                JOB_LAST_SUCCESS,
                metrics::Unit::Seconds,
                "When each background job last succeeded (Unix time; 0 before it has)."
            );
            metrics::describe_gauge!(
                JOB_FAILURES,
                "Failures of each background job since its last success."
            );
            metrics::describe_gauge!(
                JOB_FAILURES_TOTAL,
                "Failed runs of each background job, by every server (as the database keeps them)."
            );
            metrics::describe_gauge!(JOB_RUNNING, "Whether a server is running the job now.");
            metrics::describe_counter!(
                ORG_CACHE,
                "Organisations a request was checked against, by whether the server held them \
                 at the register's version (hit) or read them (miss)."
            );
            metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            handle
        });
        Self {
            handle: handle.clone(),
            by_class: CLASSES.map(|class| metrics::counter!(REQUESTS, "class" => class)),
            duration: metrics::histogram!(DURATION),
            requests: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// The Prometheus text, with the database's state and the jobs' as just read, and the
    /// organisation cache's (hits, misses) so far. The jobs are shared by every server, so each
    /// server reports the same figures for them.
    pub fn render(&self, db_up: bool, jobs: &[JobRecord], org_cache: (u64, u64)) -> String {
        metrics::gauge!(DATABASE_UP).set(f64::from(u8::from(db_up)));
        let (hits, misses) = org_cache;
        metrics::counter!(ORG_CACHE, "outcome" => "hit").absolute(hits);
        metrics::counter!(ORG_CACHE, "outcome" => "miss").absolute(misses);
        for j in jobs {
            let job = j.name.clone();
            let last = j.last_success_at.unwrap_or(0) as f64;
            metrics::gauge!(JOB_LAST_SUCCESS, "job" => job.clone()).set(last);
            metrics::gauge!(JOB_FAILURES, "job" => job.clone()).set(j.failures as f64);
            metrics::gauge!(JOB_FAILURES_TOTAL, "job" => job.clone()).set(j.failures_total as f64);
            let running = f64::from(u8::from(j.lease_holder.is_some()));
            metrics::gauge!(JOB_RUNNING, "job" => job).set(running);
        }
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// Request durations, in seconds, that the histogram counts up to.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often (in requests) samples are folded into the histogram, between scrapes.
const UPKEEP_EVERY: u64 = 1024;

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Elapsed time of a request is measurement, not a domain decision, so a monotonic timer is fine.
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let m = &state.metrics;
    m.by_class[(res.status().as_u16() / 100).clamp(1, 5) as usize - 1].increment(1);
    m.duration.record(started.elapsed().as_secs_f64());
    if m.requests.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
        m.handle.run_upkeep();
    }
    res
}

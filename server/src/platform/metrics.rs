//! Operations metrics (ADR 0034): their names, the process-wide Prometheus
//! recorder of the `metrics` facade, and one function per thing counted, so
//! that each place measured holds one line. Labels are bounded sets only:
//! route templates, methods, status classes, channels, stable error codes;
//! never a card number, an id, an e-mail or an address.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::Matcher;
use metrics_exporter_prometheus::PrometheusBuilder;
use metrics_exporter_prometheus::PrometheusHandle;

/// HTTP requests by `method`, `route` (the matched template) and `status` (`2xx`…).
pub const HTTP_REQUESTS: &str = "passregion_http_requests_total";
/// HTTP latency by `route`, in seconds.
pub const HTTP_DURATION: &str = "passregion_http_request_duration_seconds";
/// Requests answered without reaching a handler, by `reason` (`busy`,
/// `timeout`, `panic`).
pub const HTTP_REFUSED: &str = "passregion_http_refused_total";
/// Debits by `channel` (`scan`, `number`, `offline`) and `outcome`
/// (`accepted` or the stable code of the refusal).
pub const DEBITS: &str = "passregion_debits_total";
/// Refunds written.
pub const REFUNDS: &str = "passregion_refunds_total";
/// Offline debits: seconds from the scan (signed by the device) to the
/// server applying it.
pub const SYNC_LAG: &str = "passregion_sync_lag_seconds";
/// Pulls of the change log, by `role` (`youth`, `partner`).
pub const SYNC_PULLS: &str = "passregion_sync_pulls_total";
/// Write jobs sent to the writer thread and not yet started.
pub const WRITER_QUEUE: &str = "passregion_writer_queue_depth";
/// How long one write job holds the writer, in seconds.
pub const WRITER_JOB: &str = "passregion_writer_job_duration_seconds";
/// Jobs committed together by one group commit.
pub const WRITER_GROUP: &str = "passregion_writer_group_size";
/// Writer failures by `kind` (`begin`, `commit`, `panic`).
pub const WRITER_FAILURES: &str = "passregion_writer_failures_total";
/// Notification e-mails of the outbox, by `result` (`sent`, `failed`).
pub const NOTIFICATIONS: &str = "passregion_notifications_total";
/// Notifications waiting in the outbox (to send or to retry).
pub const NOTIFICATIONS_PENDING: &str = "passregion_notifications_pending";
/// Notifications given up after every attempt failed.
pub const NOTIFICATIONS_ABANDONED: &str = "passregion_notifications_abandoned";
/// E-mails the mailer failed to send (any sender: notifications, links).
pub const MAIL_FAILURES: &str = "passregion_mail_failures_total";
/// SMS the gateway failed to send.
pub const SMS_FAILURES: &str = "passregion_sms_failures_total";

/// Latency buckets (seconds): a debit is expected under 100 ms.
const LATENCY: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Sync lag buckets (seconds): from a minute to a week.
const LAG: &[f64] = &[
    1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 10_800.0, 43_200.0, 86_400.0, 259_200.0, 604_800.0,
];
/// Group size buckets (jobs), up to `db::MAX_GROUP`.
const GROUP: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process (every server built in the
/// process, as the in-process tests build many, shares it) and returns its
/// handle; `None` when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(WRITER_JOB.into()), LATENCY))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(SYNC_LAG.into()), LAG))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(WRITER_GROUP.into()), GROUP))
                .map_err(|e| e.to_string())
                .and_then(|b| b.install_recorder().map_err(|e| e.to_string()));
            match built {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by method, route template and status class."
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP latency by route template."
    );
    describe_counter!(
        HTTP_REFUSED,
        "Requests refused before a handler (busy, timeout) or that panicked."
    );
    describe_counter!(
        DEBITS,
        "Debits by channel and outcome (accepted or the refusal's code)."
    );
    describe_counter!(REFUNDS, "Refunds written.");
    describe_histogram!(
        SYNC_LAG,
        metrics::Unit::Seconds,
        "Offline debits: from the scan to the server applying it."
    );
    describe_counter!(SYNC_PULLS, "Change-log pulls by role.");
    describe_gauge!(WRITER_QUEUE, "Write jobs waiting for the writer thread.");
    describe_histogram!(
        WRITER_JOB,
        metrics::Unit::Seconds,
        "Time one write job holds the writer."
    );
    describe_histogram!(WRITER_GROUP, "Jobs committed by one group commit.");
    describe_counter!(WRITER_FAILURES, "Writer failures (begin, commit, panic).");
    describe_counter!(NOTIFICATIONS, "Outbox e-mails sent or failed.");
    describe_gauge!(NOTIFICATIONS_PENDING, "Outbox e-mails waiting to be sent.");
    describe_gauge!(
        NOTIFICATIONS_ABANDONED,
        "Outbox e-mails given up after every attempt."
    );
    describe_counter!(MAIL_FAILURES, "E-mails the mailer could not send.");
    describe_counter!(SMS_FAILURES, "SMS the gateway could not send.");
}

/// The Prometheus text of every metric (`None` without a recorder).
pub fn render() -> Option<String> {
    install().map(PrometheusHandle::render)
}

/// Drains histogram samples into their buckets, so that memory stays
/// bounded when nobody scrapes (run by the background ticker).
pub fn upkeep() {
    if let Some(h) = install() {
        h.run_upkeep();
    }
}

/// One HTTP request answered.
pub fn http_request(method: &str, route: &str, status: u16, took: Duration) {
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    let method = match method {
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS" => method.to_owned(),
        _ => "other".to_owned(),
    };
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route.to_owned(), "status" => class)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route.to_owned()).record(took.as_secs_f64());
}

/// A request refused before its handler, or a panic.
pub fn http_refused(reason: &'static str) {
    metrics::counter!(HTTP_REFUSED, "reason" => reason).increment(1);
}

/// A debit decided: `code` is `None` when accepted, else the refusal's
/// stable code.
pub fn debit(channel: &'static str, code: Option<&str>) {
    let outcome = code.unwrap_or("accepted").to_owned();
    metrics::counter!(DEBITS, "channel" => channel, "outcome" => outcome).increment(1);
}

/// A refund written.
pub fn refund() {
    metrics::counter!(REFUNDS).increment(1);
}

/// An offline debit applied `lag` after its scan (a scan time ahead of the
/// server's clock counts as 0).
pub fn sync_lag(lag: chrono::Duration) {
    let secs = lag.num_milliseconds().max(0) as f64 / 1000.0;
    metrics::histogram!(SYNC_LAG).record(secs);
}

/// A pull of the change log by `role`.
pub fn sync_pull(role: &'static str) {
    metrics::counter!(SYNC_PULLS, "role" => role).increment(1);
}

/// A job queued for the writer (`+1`) or taken by it (`-1`).
pub fn writer_queue(delta: f64) {
    metrics::gauge!(WRITER_QUEUE).increment(delta);
}

/// One write job run.
pub fn writer_job(took: Duration) {
    metrics::histogram!(WRITER_JOB).record(took.as_secs_f64());
}

/// One group committed (or rolled back) with `jobs` jobs.
pub fn writer_group(jobs: usize) {
    metrics::histogram!(WRITER_GROUP).record(jobs as f64);
}

/// A writer failure: `begin`, `commit` or `panic`.
pub fn writer_failure(kind: &'static str) {
    metrics::counter!(WRITER_FAILURES, "kind" => kind).increment(1);
}

/// A notification of the outbox sent, or failed (retried later).
pub fn notification(sent: bool) {
    let result = if sent { "sent" } else { "failed" };
    metrics::counter!(NOTIFICATIONS, "result" => result).increment(1);
}

/// The outbox's waiting and abandoned notifications, read at scrape time.
pub fn notification_outbox(pending: u64, abandoned: u64) {
    metrics::gauge!(NOTIFICATIONS_PENDING).set(pending as f64);
    metrics::gauge!(NOTIFICATIONS_ABANDONED).set(abandoned as f64);
}

/// An e-mail the mailer could not send.
pub fn mail_failure() {
    metrics::counter!(MAIL_FAILURES).increment(1);
}

/// An SMS the gateway could not send.
pub fn sms_failure() {
    metrics::counter!(SMS_FAILURES).increment(1);
}

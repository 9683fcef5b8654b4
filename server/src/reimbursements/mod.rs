//! Reimbursements: batches per partner closed twice a month, marked paid; what partners follow.

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::season::REGION_TZ;

pub mod http;
pub mod model;
pub mod repo;

/// The most recent reimbursement boundary (00:00 Region time on one of `days`)
/// at or before `now`.
pub fn last_boundary(now: DateTime<Utc>, days: &[u32]) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, TimeZone};
    let local = now.with_timezone(&REGION_TZ).date_naive();
    (0..62)
        .map(|back| local - Duration::days(back))
        .find(|d| days.contains(&d.day()))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|dt| REGION_TZ.from_local_datetime(&dt).earliest())
        .map(|dt| dt.with_timezone(&Utc))
}

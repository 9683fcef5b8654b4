//! Reimbursements: batches per partner closed twice a month; their
//! statements (JSON, CSV, the PDF *justificatif*); money out (ADR 0030):
//! payment runs as SEPA credit transfer files, the bank's camt statements
//! that confirm or reject them, payments by hand, the accounting journal.

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::season::REGION_TZ;

pub mod camt;
pub mod error;
pub mod http;
pub mod journal;
pub mod journal_pg;
pub mod model;
pub mod pain001;
pub mod payments;
pub mod payments_repo;
pub mod payments_repo_pg;
pub mod payout_check;
pub mod repo;
pub mod repo_pg;
pub mod service;
pub mod statement;
pub mod statement_pdf;
pub mod statement_pg;

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn boundaries_follow_region_days() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 20 Nov 2026 → 16 Nov 00:00 Paris = 15 Nov 23:00 UTC.
        assert_eq!(
            last_boundary(t("2026-11-20T10:00:00Z"), &[1, 16]),
            Some(t("2026-11-15T23:00:00Z"))
        );
        // 1 Dec 00:30 Paris is 30 Nov 23:30 UTC: the boundary is that midnight.
        assert_eq!(
            last_boundary(t("2026-11-30T23:30:00Z"), &[1, 16]),
            Some(t("2026-11-30T23:00:00Z"))
        );
        assert_eq!(last_boundary(t("2026-11-20T10:00:00Z"), &[]), None);
    }
}

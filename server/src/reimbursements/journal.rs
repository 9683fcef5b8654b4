//! The accounting journal of money out (ADR 0030), for the days `from..=to`
//! (Region time), as a CSV an accountant imports: `;`-separated, French
//! headers, UTF-8 with a BOM, amounts with a decimal comma.
//!
//! Two kinds of entries, each balanced (debit = credit):
//! - the closing of a batch (dated by its closing, piece = the batch id), per
//!   avantage: the charge `6574` against the partner's account `401` (a
//!   negative net, refunds after a payout, the other way round);
//! - a bank movement (dated by the bank's booking, piece = its reference): a
//!   payment `401` against the bank `512`; a transfer returned after its
//!   booking the other way round.
//!
//! So over any span `Σ 6574 = batched` and `Σ 512 = paid` of the ledger
//! check's `payouts`; the partner account's balance is what is payable and
//! not yet paid, less what partners owe.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use passregion_core::SignedMoney;
use passregion_core::season::REGION_TZ;
use rusqlite::Connection;

use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::spreadsheet::cell;
use crate::platform::sql::{parse_date, parse_ts, ts};
use crate::reimbursements::statement::fr_decimal;

/// The charge account of the avantages paid to partners.
pub const CHARGE_ACCOUNT: (&str, &str) = ("6574", "Aides PASS'Région (avantages des jeunes)");
/// The partners' account.
pub const PARTNER_ACCOUNT: (&str, &str) = ("401", "Partenaires PASS'Région");
/// The Region's bank account.
pub const BANK_ACCOUNT: (&str, &str) = ("512", "Banque — compte de la Région");
/// Longest span of one export.
pub const MAX_DAYS: i64 = 366;

#[derive(Clone)]
struct Line {
    date: NaiveDate,
    journal: &'static str,
    account: (&'static str, &'static str),
    partner: String,
    avantage: String,
    cents: i64,
    piece: String,
    label: String,
}

fn midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| REGION_TZ.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// Two lines of a balanced entry: `debit` gets `cents`, `credit` the same
/// (swapped when negative).
fn entry(
    out: &mut Vec<Line>,
    debit: (&'static str, &'static str),
    credit: (&'static str, &'static str),
    base: Line,
) {
    let (d, c) = if base.cents < 0 {
        (credit, debit)
    } else {
        (debit, credit)
    };
    let cents = base.cents.abs();
    out.push(Line {
        account: d,
        cents,
        ..base.clone()
    });
    out.push(Line {
        account: c,
        cents: -cents,
        ..base
    });
}

/// The instants that bound the days `from..=to` (Region time), or why not.
pub(crate) fn span(
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ServiceError> {
    if to < from || to - from > Duration::days(MAX_DAYS) {
        return Err(ServiceError::Invalid {
            field: "to",
            message: "La période va du premier au dernier jour, 366 jours au plus.".into(),
        });
    }
    match (midnight(from), to.succ_opt().and_then(midnight)) {
        (Some(s), Some(e)) => Ok((s, e)),
        _ => Err(ServiceError::Invalid {
            field: "from",
            message: "Dates hors limites.".into(),
        }),
    }
}

/// A batch closed in the span, per avantage: (batch id, closed at, partner
/// name, avantage, season, net cents), ordered by closing, batch, avantage.
pub(crate) type ClosingRow = (String, String, String, String, i32, i64);
/// A payment, or a return of a payment, booked in the span: (batch id,
/// event, cents, reverses a payment, reference, booked on, partner name),
/// ordered by booking then event.
pub(crate) type BankRow = (String, String, i64, bool, Option<String>, String, String);

/// The journal of `from..=to` as CSV bytes.
pub(crate) fn journal(
    c: &Connection,
    cats: &Catalogues,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String, ServiceError> {
    let (start, end) = span(from, to)?;
    let mut stmt = c.prepare(
        "SELECT b.id, b.created_at, p.name, t.avantage, t.season, SUM(t.amount_cents)
         FROM reimbursement_batches b JOIN partners p ON p.id = b.partner_id
         JOIN reimbursement_items i ON i.batch_id = b.id
         JOIN transactions t ON t.id = i.transaction_id
         WHERE b.created_at >= ?1 AND b.created_at < ?2
         GROUP BY b.id, t.avantage ORDER BY b.created_at, b.id, t.avantage",
    )?;
    let closings = stmt
        .query_map([ts(start), ts(end)], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<Vec<ClosingRow>, _>>()?;
    let mut stmt = c.prepare(
        "SELECT e.batch_id, e.event, e.amount_cents, e.reverses_payment, e.reference, e.booked_on, p.name
         FROM payment_events e JOIN reimbursement_batches b ON b.id = e.batch_id
         JOIN partners p ON p.id = b.partner_id
         WHERE (e.event IN ('paye', 'paye_manuellement') OR e.reverses_payment = 1)
           AND e.booked_on >= ?1 AND e.booked_on <= ?2
         ORDER BY e.booked_on, e.id",
    )?;
    let bank = stmt
        .query_map([from.to_string(), to.to_string()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<Vec<BankRow>, _>>()?;
    render(cats, closings, bank)
}

/// The journal's CSV from its rows (the one rule for both engines).
pub(crate) fn render(
    cats: &Catalogues,
    closings: Vec<ClosingRow>,
    bank: Vec<BankRow>,
) -> Result<String, ServiceError> {
    let mut lines = Vec::new();
    for (batch, created, partner, avantage, season, cents) in closings {
        if cents == 0 {
            continue;
        }
        let date = parse_ts(&created)?.with_timezone(&REGION_TZ).date_naive();
        let label = passregion_core::Season::starting(season)
            .ok()
            .and_then(|s| cats.get(s))
            .and_then(|cat| cat.avantage(&avantage))
            .map_or_else(|| avantage.clone(), |a| a.label.clone());
        entry(
            &mut lines,
            CHARGE_ACCOUNT,
            PARTNER_ACCOUNT,
            Line {
                date,
                journal: "PASS",
                account: CHARGE_ACCOUNT,
                partner: partner.clone(),
                avantage: label,
                cents,
                label: format!("Lot de remboursement {partner}"),
                piece: batch,
            },
        );
    }
    for (batch, event, cents, reverses, reference, booked, partner) in bank {
        let returned = reverses && event == "rejete";
        entry(
            &mut lines,
            PARTNER_ACCOUNT,
            BANK_ACCOUNT,
            Line {
                date: parse_date(&booked)?,
                journal: "BQ",
                account: PARTNER_ACCOUNT,
                partner: partner.clone(),
                avantage: String::new(),
                cents: if returned { -cents } else { cents },
                label: if returned {
                    format!("Virement retourné {partner} (lot {batch})")
                } else {
                    format!("Virement {partner} (lot {batch})")
                },
                piece: reference.unwrap_or(batch),
            },
        );
    }
    lines.sort_by(|a, b| a.date.cmp(&b.date).then(a.journal.cmp(b.journal)));
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
    w.write_record([
        "Date",
        "Journal",
        "Compte",
        "Libellé du compte",
        "Partenaire",
        "Avantage",
        "Débit",
        "Crédit",
        "Pièce",
        "Libellé",
    ])
    .map_err(err)?;
    for l in &lines {
        let amount = fr_decimal(SignedMoney::from_cents(l.cents.abs())?);
        let (debit, credit) = if l.cents >= 0 {
            (amount, String::new())
        } else {
            (String::new(), amount)
        };
        w.write_record([
            l.date.format("%d/%m/%Y").to_string().as_str(),
            l.journal,
            l.account.0,
            l.account.1,
            &cell(&l.partner),
            &cell(&l.avantage),
            &debit,
            &credit,
            &cell(&l.piece),
            &cell(&l.label),
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ServiceError::Internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ServiceError::Internal(e.to_string()))
}

//! Reading the bank's statements of the Region's account: ISO 20022
//! `camt.054` (debit notification) or `camt.053` (statement), any version
//! (ADR 0030). Only what matching needs is read: for each transfer, its
//! end-to-end id, amount, booking status and date, the bank's reference, and
//! the return reason of a rejected one.
//!
//! Hostile input is refused before anything is matched: a size bound, no
//! document type declaration (so no entity, internal or external, is ever
//! expanded: no "billion laughs", no XXE), only the five XML entities and
//! character references, a depth bound, an entry bound, UTF-8 only.

use std::borrow::Cow;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::reimbursements::error::StatementError;

/// Largest statement accepted, in bytes.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Deepest element nesting accepted (camt.054 needs about 12).
pub const MAX_DEPTH: usize = 32;
/// Most transfers read from one statement.
pub const MAX_ENTRIES: usize = 5_000;
/// Longest text kept of one element.
const MAX_TEXT: usize = 1_000;

/// Debit (money out of the account) or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Debit,
    Credit,
}

/// One transfer of a statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CamtTransfer {
    /// `Refs/EndToEndId` (empty when absent).
    pub end_to_end_id: String,
    /// `Refs/PmtInfId`: the payment run, when the bank reports it.
    pub payment_info_id: Option<String>,
    /// In cents.
    pub amount_cents: i64,
    /// `None` when the statement says neither.
    pub direction: Option<Direction>,
    /// The entry's status is `BOOK`.
    pub booked: bool,
    /// Returned or rejected: the entry's status is `RJCT`, or the transfer
    /// carries return information.
    pub rejected: bool,
    /// `RtrInf/Rsn/Cd` (e.g. `AC01`).
    pub reason_code: Option<String>,
    /// `RtrInf/AddtlInf`.
    pub reason_text: Option<String>,
    /// The bank's reference (`AcctSvcrRef` of the transfer, else of the entry).
    pub bank_reference: Option<String>,
    /// `BookgDt` (else `ValDt`).
    pub booked_on: Option<NaiveDate>,
}

/// A statement read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamtStatement {
    /// e.g. `camt.054.001.08`.
    pub message: String,
    pub transfers: Vec<CamtTransfer>,
}

/// The entry being read (`Ntry`), before its transfers are known.
#[derive(Default)]
struct EntryState {
    amount: Option<i64>,
    direction: Option<Direction>,
    status: Option<String>,
    reference: Option<String>,
    booked_on: Option<NaiveDate>,
    value_on: Option<NaiveDate>,
    transfers: Vec<(CamtTransfer, bool)>,
}

/// Parses a statement. Refuses it whole (nothing is matched) when it breaks
/// one of the bounds.
pub fn parse(bytes: &[u8]) -> Result<CamtStatement, StatementError> {
    if bytes.len() > MAX_BYTES {
        return Err(StatementError::TooLarge {
            max_bytes: MAX_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| StatementError::NotUtf8)?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut message: Option<String> = None;
    let mut entry: Option<EntryState> = None;
    let mut tx: Option<(CamtTransfer, bool)> = None;
    let mut out = Vec::new();
    let mut currency_ok = true;
    loop {
        let event = reader
            .read_event()
            .map_err(|_| StatementError::Malformed(reader.buffer_position()))?;
        match event {
            Event::DocType(_) => return Err(StatementError::Dtd),
            Event::Start(e) => {
                let name = local(&e);
                if stack.is_empty() {
                    message = Some(camt_message(&e)?);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(StatementError::TooDeep);
                }
                match name.as_str() {
                    "Ntry" => entry = Some(EntryState::default()),
                    "TxDtls" if entry.is_some() => tx = Some((CamtTransfer::default(), false)),
                    "Amt" | "InstdAmt" | "TxAmt" => {
                        currency_ok = currency(&e)?;
                    }
                    _ => {}
                }
                stack.push(name);
                buf.clear();
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    return Err(StatementError::NotCamt);
                }
                let _ = local(&e);
            }
            Event::Text(t) => push_text(&mut buf, &t.xml10_content()),
            Event::CData(t) => {
                let raw = t.into_inner();
                push_text(&mut buf, &raw);
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => return Err(StatementError::Entity),
                    },
                    Err(_) => return Err(StatementError::Entity),
                };
                push_text(&mut buf, c.encode_utf8(&mut [0; 4]));
            }
            Event::End(_) => {
                let value = buf.trim().to_owned();
                buf.clear();
                let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                if let Some(e) = entry.as_mut() {
                    read_field(&path, &value, currency_ok, e, tx.as_mut())?;
                }
                match path.last().copied() {
                    Some("TxDtls") => {
                        if let (Some(t), Some(e)) = (tx.take(), entry.as_mut()) {
                            e.transfers.push(t);
                        }
                    }
                    Some("Ntry") => {
                        if let Some(e) = entry.take() {
                            finish_entry(e, &mut out)?;
                        }
                    }
                    _ => {}
                }
                stack.pop();
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    let message = message.ok_or(StatementError::NotCamt)?;
    Ok(CamtStatement {
        message,
        transfers: out,
    })
}

fn push_text(buf: &mut String, s: &str) {
    for c in s.chars() {
        if buf.len() >= MAX_TEXT {
            return;
        }
        buf.push(c);
    }
}

fn local(e: &BytesStart<'_>) -> String {
    let name = e.local_name();
    let s: &str = name.as_ref();
    s.to_owned()
}

/// The root must be a `Document` in a camt.054 or camt.053 namespace.
fn camt_message(root: &BytesStart<'_>) -> Result<String, StatementError> {
    if local(root) != "Document" {
        return Err(StatementError::NotCamt);
    }
    for attr in root.attributes().flatten() {
        let key: &str = attr.key.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            let value = attr.value.as_ref();
            if let Some(m) = value.strip_prefix("urn:iso:std:iso:20022:tech:xsd:")
                && (m.starts_with("camt.054.") || m.starts_with("camt.053."))
                && m.len() <= 20
            {
                return Ok(m.to_owned());
            }
        }
    }
    Err(StatementError::NotCamt)
}

/// Whether an amount's `Ccy` is the euro (an amount without one is refused).
fn currency(e: &BytesStart<'_>) -> Result<bool, StatementError> {
    match e.try_get_attribute("Ccy") {
        Ok(Some(a)) => Ok(a.value.as_ref() == "EUR"),
        Ok(None) => Ok(false),
        Err(_) => Err(StatementError::Malformed(0)),
    }
}

fn ends(path: &[&str], tail: &[&str]) -> bool {
    path.len() >= tail.len() && path[path.len() - tail.len()..] == *tail
}

fn read_field(
    path: &[&str],
    value: &str,
    currency_ok: bool,
    e: &mut EntryState,
    tx: Option<&mut (CamtTransfer, bool)>,
) -> Result<(), StatementError> {
    let text = || Some(value.to_owned()).filter(|v| !v.is_empty());
    if let Some((t, has_amount)) = tx {
        if ends(path, &["TxDtls", "Refs", "EndToEndId"]) {
            t.end_to_end_id = value.to_owned();
        } else if ends(path, &["TxDtls", "Refs", "PmtInfId"]) {
            t.payment_info_id = text();
        } else if ends(path, &["TxDtls", "Refs", "AcctSvcrRef"]) {
            t.bank_reference = text();
        } else if ends(path, &["TxDtls", "Amt"])
            || (ends(path, &["TxDtls", "AmtDtls", "TxAmt", "Amt"]) && !*has_amount)
            || (ends(path, &["TxDtls", "AmtDtls", "InstdAmt", "Amt"]) && !*has_amount)
        {
            t.amount_cents = cents(value, currency_ok)?;
            *has_amount = true;
        } else if ends(path, &["TxDtls", "CdtDbtInd"]) {
            t.direction = direction(value);
        } else if ends(path, &["TxDtls", "RtrInf", "Rsn", "Cd"]) {
            t.rejected = true;
            t.reason_code = text().map(|c| c.chars().take(4).collect());
        } else if ends(path, &["TxDtls", "RtrInf", "AddtlInf"]) {
            t.rejected = true;
            let more = value.chars().take(105).collect::<String>();
            t.reason_text = Some(match t.reason_text.take() {
                Some(before) => format!("{before} {more}"),
                None => more,
            });
        } else if ends(path, &["TxDtls", "RtrInf"]) {
            t.rejected = true;
        }
        return Ok(());
    }
    if ends(path, &["Ntry", "Amt"]) {
        e.amount = Some(cents(value, currency_ok)?);
    } else if ends(path, &["Ntry", "CdtDbtInd"]) {
        e.direction = direction(value);
    } else if ends(path, &["Ntry", "Sts", "Cd"]) || ends(path, &["Ntry", "Sts"]) {
        if !value.is_empty() {
            e.status = Some(value.to_owned());
        }
    } else if ends(path, &["Ntry", "AcctSvcrRef"]) {
        e.reference = text();
    } else if ends(path, &["Ntry", "BookgDt", "Dt"]) || ends(path, &["Ntry", "BookgDt", "DtTm"]) {
        e.booked_on = date(value);
    } else if ends(path, &["Ntry", "ValDt", "Dt"]) || ends(path, &["Ntry", "ValDt", "DtTm"]) {
        e.value_on = date(value);
    }
    Ok(())
}

fn finish_entry(e: EntryState, out: &mut Vec<CamtTransfer>) -> Result<(), StatementError> {
    let booked = e.status.as_deref() == Some("BOOK");
    let rejected = e.status.as_deref() == Some("RJCT");
    let date = e.booked_on.or(e.value_on);
    let single = e.transfers.len() == 1;
    let mut transfers = e.transfers;
    if transfers.is_empty() {
        // An entry without details: nothing to match it by.
        transfers.push((CamtTransfer::default(), false));
    }
    for (mut t, has_amount) in transfers {
        if out.len() >= MAX_ENTRIES {
            return Err(StatementError::TooManyEntries);
        }
        if !has_amount && (single || t.end_to_end_id.is_empty()) {
            t.amount_cents = e.amount.unwrap_or(0);
        }
        t.direction = t.direction.or(e.direction);
        t.booked = booked;
        t.rejected |= rejected;
        t.bank_reference = t.bank_reference.or_else(|| e.reference.clone());
        t.booked_on = t.booked_on.or(date);
        out.push(t);
    }
    Ok(())
}

fn direction(v: &str) -> Option<Direction> {
    match v {
        "DBIT" => Some(Direction::Debit),
        "CRDT" => Some(Direction::Credit),
        _ => None,
    }
}

fn date(v: &str) -> Option<NaiveDate> {
    v.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A non-negative decimal of at most 2 significant decimals (up to 5 written,
/// the extra ones zero), in euros, as cents.
fn cents(v: &str, euro: bool) -> Result<i64, StatementError> {
    if !euro {
        return Err(StatementError::BadAmount);
    }
    let (units, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty()
        || units.len() > 13
        || !digits(units)
        || frac.len() > 5
        || !digits(frac)
        || frac.bytes().skip(2).any(|b| b != b'0')
    {
        return Err(StatementError::BadAmount);
    }
    let frac: Cow<'_, str> = match frac.len() {
        0 => "00".into(),
        1 => format!("{frac}0").into(),
        _ => frac[..2].into(),
    };
    let units: i64 = units.parse().map_err(|_| StatementError::BadAmount)?;
    let frac: i64 = frac.parse().map_err(|_| StatementError::BadAmount)?;
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(frac))
        .ok_or(StatementError::BadAmount)
}

/// The French words of an ISO 20022 return reason (`ExternalReturnReason1Code`).
pub fn reason_label(code: &str) -> &'static str {
    match code {
        "AC01" => "IBAN incorrect",
        "AC04" => "compte clôturé",
        "AC06" => "compte bloqué",
        "AC13" => "type de compte du bénéficiaire invalide",
        "AG01" => "opération interdite sur ce compte",
        "AG02" => "code opération invalide",
        "AM05" => "virement en double",
        "BE04" => "adresse du bénéficiaire manquante",
        "CNOR" => "banque du bénéficiaire injoignable",
        "DNOR" => "banque du bénéficiaire injoignable",
        "FF01" => "format du fichier invalide",
        "MD07" => "bénéficiaire décédé",
        "MS02" => "refusé par le bénéficiaire",
        "MS03" => "motif non précisé par la banque",
        "RC01" => "BIC incorrect",
        "RR01" | "RR02" | "RR03" | "RR04" => "motif réglementaire",
        "TM01" => "reçu après l'heure limite",
        _ => "virement rejeté par la banque",
    }
}

/// "AC01 — IBAN incorrect" (with the bank's words when it gave some).
pub fn reason(t: &CamtTransfer) -> String {
    let code = t.reason_code.as_deref().unwrap_or("");
    let words = if code.is_empty() {
        "virement rejeté par la banque".to_owned()
    } else {
        format!("{code} — {}", reason_label(code))
    };
    match t
        .reason_text
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(more) => format!("{words} ({more})"),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<Ntfctn>"#;
    const TAIL: &str = "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>";

    fn doc(entries: &str) -> String {
        format!("{HEAD}{entries}{TAIL}")
    }

    #[test]
    fn booked_and_returned_transfers_are_read() {
        let s = parse(doc(r#"
<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
 <BookgDt><Dt>2026-12-03</Dt></BookgDt><AcctSvcrRef>BQ-1</AcctSvcrRef>
 <NtryDtls><TxDtls><Refs><EndToEndId>abc</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">7.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><DtTm>2026-12-04T10:00:00</DtTm></BookgDt>
 <NtryDtls><TxDtls><Refs><EndToEndId>def</EndToEndId><AcctSvcrRef>R&amp;2</AcctSvcrRef></Refs>
 <RtrInf><Rsn><Cd>AC01</Cd></Rsn><AddtlInf>IBAN &#233;rron&#xE9;</AddtlInf></RtrInf></TxDtls></NtryDtls></Ntry>
"#).as_bytes())
        .unwrap();
        assert_eq!(s.message, "camt.054.001.08");
        let [a, b] = &s.transfers[..] else {
            panic!("two transfers: {s:?}")
        };
        assert_eq!(
            (
                a.end_to_end_id.as_str(),
                a.amount_cents,
                a.booked,
                a.rejected
            ),
            ("abc", 1250, true, false)
        );
        assert_eq!(a.bank_reference.as_deref(), Some("BQ-1"));
        assert_eq!(a.booked_on, NaiveDate::from_ymd_opt(2026, 12, 3));
        assert_eq!((b.amount_cents, b.rejected), (750, true));
        assert_eq!(b.direction, Some(Direction::Credit));
        assert_eq!(b.bank_reference.as_deref(), Some("R&2"));
        assert_eq!(reason(b), "AC01 — IBAN incorrect (IBAN érroné)");
    }

    #[test]
    fn hostile_or_foreign_files_are_refused() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&lol2;</Document>"#;
        assert_eq!(parse(laughs.as_bytes()), Err(StatementError::Dtd));
        let unknown = doc("<Ntry><AcctSvcrRef>&xxe;</AcctSvcrRef></Ntry>");
        assert_eq!(parse(unknown.as_bytes()), Err(StatementError::Entity));
        let deep = doc(&format!("{}{}", "<a>".repeat(40), "</a>".repeat(40)));
        assert_eq!(parse(deep.as_bytes()), Err(StatementError::TooDeep));
        let big = vec![b' '; MAX_BYTES + 1];
        assert!(matches!(parse(&big), Err(StatementError::TooLarge { .. })));
        assert_eq!(
            parse(br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>"#),
            Err(StatementError::NotCamt)
        );
        let broken = doc("<Ntry><Amt Ccy=\"EUR\">1.00</Sts></Ntry>");
        assert!(matches!(
            parse(broken.as_bytes()),
            Err(StatementError::Malformed(_))
        ));
        assert_eq!(parse(&[0xff, 0xfe]), Err(StatementError::NotUtf8));
        let usd = doc(r#"<Ntry><Amt Ccy="USD">1.00</Amt></Ntry>"#);
        assert_eq!(parse(usd.as_bytes()), Err(StatementError::BadAmount));
        let many = doc(&"<Ntry><Amt Ccy=\"EUR\">1.00</Amt></Ntry>".repeat(MAX_ENTRIES + 1));
        assert_eq!(parse(many.as_bytes()), Err(StatementError::TooManyEntries));
    }

    #[test]
    fn amounts_are_strict_decimals() {
        assert_eq!(cents("12.50", true), Ok(1250));
        assert_eq!(cents("12", true), Ok(1200));
        assert_eq!(cents("0.10000", true), Ok(10));
        for bad in ["", "-1.00", "1,00", "1.005", "1e3", " 1.00", "1.2.3"] {
            assert_eq!(cents(bad, true), Err(StatementError::BadAmount), "{bad}");
        }
        assert_eq!(cents("1.00", false), Err(StatementError::BadAmount));
    }
}

//! The SEPA credit transfer file of a payment run: ISO 20022
//! `pain.001.001.09` (ADR 0030). One payment information block per run (the
//! Region's account debited once per transfer), one transaction per batch,
//! end-to-end id = the batch id's 32 hex digits, remittance text naming the
//! period. Amounts are integer cents written with two decimals; text is
//! reduced to the EPC's Latin character set. The tests validate the output
//! against the official XSD (`tests/vectors/iso20022/`).

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::season::REGION_TZ;
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};

/// The namespace of the message.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// The Region's account the partners are paid from (configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtorAccount {
    /// Account holder, as the bank knows it (at most 70 characters).
    pub name: String,
    /// Electronic IBAN.
    pub iban: String,
    /// BIC of the Region's bank.
    pub bic: String,
}

impl DebtorAccount {
    /// The debtor account from the three flags: all or none; the IBAN checked
    /// by its key, the BIC by its shape and country.
    pub fn from_flags(
        iban: Option<&str>,
        bic: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<DebtorAccount>, String> {
        let (iban, bic, name) = match (iban, bic, name) {
            (None, None, None) => return Ok(None),
            (Some(i), Some(b), Some(n)) => (i, b, n),
            _ => {
                return Err(
                    "--debtor-iban, --debtor-bic and --debtor-name go together: give all three"
                        .into(),
                );
            }
        };
        let iban = passregion_core::application::valid_iban(iban)
            .ok_or("--debtor-iban: not a valid IBAN")?;
        let bic = passregion_core::application::valid_bic(bic, Some(&iban))
            .ok_or("--debtor-bic: not a valid BIC for that IBAN")?;
        let name = sepa_text(name, 70);
        if name.is_empty() {
            return Err("--debtor-name: empty".into());
        }
        Ok(Some(DebtorAccount { name, iban, bic }))
    }
}

/// One transfer: one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// At most 35 characters of the SEPA set.
    pub end_to_end_id: String,
    /// Positive.
    pub amount_cents: i64,
    pub creditor_name: String,
    pub creditor_iban: String,
    pub creditor_bic: Option<String>,
    /// Unstructured remittance text (cut to 140 characters).
    pub remittance: String,
}

/// A payment run's file.
#[derive(Debug, Clone)]
pub struct CreditTransfer<'a> {
    /// Message id and payment information id (at most 35 characters).
    pub message_id: &'a str,
    pub created_at: DateTime<Utc>,
    pub execution_date: NaiveDate,
    pub debtor: &'a DebtorAccount,
    pub transfers: &'a [Transfer],
}

/// The end-to-end id of a batch: its id without the hyphens (a UUID's 32
/// hex digits fit the 35 characters of `Max35Text`).
pub fn end_to_end_id(batch_id: &str) -> String {
    batch_id.chars().filter(|c| *c != '-').take(35).collect()
}

/// Integer cents as a decimal with two digits: `1250` → `12.50`.
pub fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// `text` in the EPC's Latin character set (`a-z A-Z 0-9 / - ? : ( ) . , ' +`
/// and space): accents dropped, other characters as spaces, spaces
/// collapsed, at most `max` characters.
pub fn sepa_text(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let mapped: &str = match c {
            'a'..='z'
            | 'A'..='Z'
            | '0'..='9'
            | '/'
            | '-'
            | '?'
            | ':'
            | '('
            | ')'
            | '.'
            | ','
            | '\''
            | '+' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
            'ç' => "c",
            'Ç' => "C",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'È' | 'É' | 'Ê' | 'Ë' => "E",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'Ì' | 'Í' | 'Î' | 'Ï' => "I",
            'ñ' => "n",
            'Ñ' => "N",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "O",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
            'ý' | 'ÿ' => "y",
            'Ý' | 'Ÿ' => "Y",
            'œ' => "oe",
            'Œ' => "OE",
            'æ' => "ae",
            'Æ' => "AE",
            'ß' => "ss",
            '’' | '‘' | '`' => "'",
            '&' => "+",
            '–' | '—' | '_' => "-",
            _ => " ",
        };
        out.push_str(mapped);
    }
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The remittance text of a batch: "PASS'Region remboursement du 16/11/2026
/// au 30/11/2026" (the days of its transactions, Region time; "jusqu'au …"
/// for a partner's first batch).
pub fn remittance(period_start: Option<DateTime<Utc>>, period_end: DateTime<Utc>) -> String {
    let day = |t: DateTime<Utc>| t.with_timezone(&REGION_TZ).date_naive();
    // The period ends at 00:00 of its boundary: its last day is the day before.
    let last = day(period_end).pred_opt().unwrap_or(day(period_end));
    let text = match period_start {
        Some(start) => format!(
            "PASS'Region remboursement du {} au {}",
            day(start).format("%d/%m/%Y"),
            last.format("%d/%m/%Y")
        ),
        None => format!(
            "PASS'Region remboursement jusqu'au {}",
            last.format("%d/%m/%Y")
        ),
    };
    sepa_text(&text, 140)
}

type W = Writer<Vec<u8>>;

/// An element of text; only `<`, `>` and `&` are escaped (an apostrophe,
/// which the SEPA set allows, stays one).
fn leaf(w: &mut W, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::from_escaped(partial_escape(text)))?;
    Ok(())
}

fn fin_inst(w: &mut W, name: &str, bic: &str) -> std::io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("FinInstnId")
            .write_inner_content(|w| leaf(w, "BICFI", bic))?;
        Ok(())
    })?;
    Ok(())
}

fn account(w: &mut W, name: &str, iban: &str) -> std::io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("Id")
            .write_inner_content(|w| leaf(w, "IBAN", iban))?;
        Ok(())
    })?;
    Ok(())
}

fn party(w: &mut W, name: &str, holder: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_inner_content(|w| leaf(w, "Nm", &sepa_text(holder, 70)))?;
    Ok(())
}

/// The `pain.001.001.09` document of a run (UTF-8, indented).
pub fn write(run: &CreditTransfer<'_>) -> std::io::Result<String> {
    let total: i64 = run.transfers.iter().map(|t| t.amount_cents).sum();
    let count = run.transfers.len().to_string();
    let created = run
        .created_at
        .with_timezone(&REGION_TZ)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("Document")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            w.create_element("CstmrCdtTrfInitn")
                .write_inner_content(|w| {
                    w.create_element("GrpHdr").write_inner_content(|w| {
                        leaf(w, "MsgId", run.message_id)?;
                        leaf(w, "CreDtTm", &created)?;
                        leaf(w, "NbOfTxs", &count)?;
                        leaf(w, "CtrlSum", &amount(total))?;
                        party(w, "InitgPty", &run.debtor.name)
                    })?;
                    w.create_element("PmtInf").write_inner_content(|w| {
                        leaf(w, "PmtInfId", run.message_id)?;
                        leaf(w, "PmtMtd", "TRF")?;
                        leaf(w, "BtchBookg", "false")?;
                        leaf(w, "NbOfTxs", &count)?;
                        leaf(w, "CtrlSum", &amount(total))?;
                        w.create_element("PmtTpInf").write_inner_content(|w| {
                            w.create_element("SvcLvl")
                                .write_inner_content(|w| leaf(w, "Cd", "SEPA"))?;
                            Ok(())
                        })?;
                        w.create_element("ReqdExctnDt").write_inner_content(|w| {
                            leaf(w, "Dt", &run.execution_date.format("%Y-%m-%d").to_string())
                        })?;
                        party(w, "Dbtr", &run.debtor.name)?;
                        account(w, "DbtrAcct", &run.debtor.iban)?;
                        fin_inst(w, "DbtrAgt", &run.debtor.bic)?;
                        leaf(w, "ChrgBr", "SLEV")?;
                        for t in run.transfers {
                            transaction(w, t)?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            Ok(())
        })?;
    String::from_utf8(w.into_inner()).map_err(std::io::Error::other)
}

fn transaction(w: &mut W, t: &Transfer) -> std::io::Result<()> {
    w.create_element("CdtTrfTxInf").write_inner_content(|w| {
        w.create_element("PmtId").write_inner_content(|w| {
            leaf(w, "InstrId", &t.end_to_end_id)?;
            leaf(w, "EndToEndId", &t.end_to_end_id)
        })?;
        w.create_element("Amt").write_inner_content(|w| {
            w.create_element("InstdAmt")
                .with_attribute(("Ccy", "EUR"))
                .write_text_content(BytesText::new(&amount(t.amount_cents)))?;
            Ok(())
        })?;
        if let Some(bic) = &t.creditor_bic {
            fin_inst(w, "CdtrAgt", bic)?;
        }
        party(w, "Cdtr", &t.creditor_name)?;
        account(w, "CdtrAcct", &t.creditor_iban)?;
        w.create_element("RmtInf")
            .write_inner_content(|w| leaf(w, "Ustrd", &sepa_text(&t.remittance, 140)))?;
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_cents_with_two_decimals() {
        assert_eq!(amount(1250), "12.50");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(10_000_000_001), "100000000.01");
        assert_eq!(amount(-750), "-7.50");
    }

    #[test]
    fn text_is_reduced_to_the_sepa_set() {
        assert_eq!(
            sepa_text("Librairie Pagès & Fils — « Œuvres »", 140),
            "Librairie Pages + Fils - OEuvres"
        );
        assert_eq!(sepa_text("Région\u{0}\n  AURA", 140), "Region AURA");
        assert_eq!(sepa_text("abcdef", 3), "abc");
        assert_eq!(
            end_to_end_id("01890a5d-ac96-774b-bcce-b302099a8057"),
            "01890a5dac96774bbcceb302099a8057"
        );
    }

    #[test]
    fn the_debtor_account_is_all_or_nothing_and_checked() {
        assert_eq!(DebtorAccount::from_flags(None, None, None), Ok(None));
        let ok = DebtorAccount::from_flags(
            Some("FR76 3000 6000 0112 3456 7890 189"),
            Some("agrifrpp"),
            Some("Région Auvergne-Rhône-Alpes"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.iban, "FR7630006000011234567890189");
        assert_eq!(ok.bic, "AGRIFRPP");
        assert_eq!(ok.name, "Region Auvergne-Rhone-Alpes");
        assert!(DebtorAccount::from_flags(Some("FR76"), Some("AGRIFRPP"), Some("R")).is_err());
        assert!(
            DebtorAccount::from_flags(Some("FR7630006000011234567890189"), None, None).is_err()
        );
        assert!(
            DebtorAccount::from_flags(
                Some("FR7630006000011234567890189"),
                Some("DEUTDEFF"),
                Some("R")
            )
            .is_err()
        );
    }

    #[test]
    fn the_remittance_names_the_period() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            remittance(Some(t("2026-11-15T23:00:00Z")), t("2026-11-30T23:00:00Z")),
            "PASS'Region remboursement du 16/11/2026 au 30/11/2026"
        );
        assert_eq!(
            remittance(None, t("2026-11-15T23:00:00Z")),
            "PASS'Region remboursement jusqu'au 15/11/2026"
        );
    }
}

//! The fraud and anomalies desk: what is listed, with which stable id, and
//! the handling (once, with a note, append-only). The facts are read over
//! [`AnomalyTx`] (SQL in `desk_repo.rs`); what is unusual is decided by
//! `passregion_core::anomaly` (ADR 0028).
//!
//! | kind | id | from |
//! | --- | --- | --- |
//! | `depassement_hors_ligne` | `…:<flag id>` | `card_flags` (sync), the card's offline debits |
//! | `carte_verrouillee` | `…:<lock id>` | `number_lockouts` (each lock after wrong birth dates) |
//! | `compte_verrouille` | `…:<key hash>:<first failure>` | the failure budgets in memory (lost at restart) |
//! | `taux_remboursement_inhabituel` | `…:<partner>:<last refund seq>` | 30 days of transactions |
//! | `horaire_inhabituel` | `…:<partner>:<night>` | 30 days of debits, 23:00–05:00 Paris time |
//!
//! A rolling fact (a refund rate) keeps its id while nothing new happens, so
//! a handled item stays handled; a new refund while the rate is still high
//! makes a new item.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::Money;
use passregion_core::anomaly;

use crate::error::ServiceError;
use crate::region::error::RegionError;
use crate::region::model::{Anomaly, AnomalyHandling, AnomalyKind, OfflineDebitLine};
use crate::web::limits::SpentKey;

/// An overspend flag.
#[derive(Debug, Clone)]
pub(crate) struct FlagFacts {
    pub(crate) id: i64,
    pub(crate) card_id: String,
    pub(crate) number: String,
    pub(crate) reason: String,
    pub(crate) amount_cents: i64,
    pub(crate) at: DateTime<Utc>,
}

/// A lock of a card number.
#[derive(Debug, Clone)]
pub(crate) struct LockoutFacts {
    pub(crate) id: i64,
    pub(crate) card_id: Option<String>,
    pub(crate) number: Option<String>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) until: DateTime<Utc>,
    pub(crate) lockout: i64,
}

/// A partner's debits and refunds over the refund-rate window.
#[derive(Debug, Clone)]
pub(crate) struct PartnerActivity {
    pub(crate) partner_id: String,
    pub(crate) name: String,
    pub(crate) debits: i64,
    pub(crate) debited_cents: i64,
    pub(crate) refunded_cents: i64,
    /// The last refund (seq, instant).
    pub(crate) last_refund: Option<(i64, DateTime<Utc>)>,
}

/// A debit that may be at an odd hour (the SQL filters on UTC hours; the
/// rule decides in Paris time).
#[derive(Debug, Clone)]
pub(crate) struct TimedDebit {
    pub(crate) partner_id: String,
    pub(crate) name: String,
    pub(crate) amount_cents: i64,
    pub(crate) at: DateTime<Utc>,
}

/// An account behind a spent budget.
#[derive(Debug, Clone)]
pub(crate) struct AccountRef {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// What the desk reads (SQL only).
pub(crate) trait AnomalyTx {
    /// The most recent overspend flags.
    fn overspend_flags(&self, limit: i64) -> Result<Vec<FlagFacts>, ServiceError>;
    /// One flag.
    fn overspend_flag(&self, id: i64) -> Result<Option<FlagFacts>, ServiceError>;
    /// The card's offline debits received up to `until`, newest first.
    fn card_offline_debits(
        &self,
        card_id: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OfflineDebitLine>, ServiceError>;
    /// The most recent locks of card numbers.
    fn number_lockouts(&self, limit: i64) -> Result<Vec<LockoutFacts>, ServiceError>;
    /// One lock.
    fn number_lockout(&self, id: i64) -> Result<Option<LockoutFacts>, ServiceError>;
    /// Every partner's debits and refunds since `since`.
    fn partner_activity(&self, since: DateTime<Utc>) -> Result<Vec<PartnerActivity>, ServiceError>;
    /// Debits since `since` whose UTC hour may be odd in Paris (21:00–04:59 UTC).
    fn night_debits(&self, since: DateTime<Utc>) -> Result<Vec<TimedDebit>, ServiceError>;
    /// Accounts by the SHA-256 of their (lower-case) e-mail.
    fn accounts_by_email_hash(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, AccountRef>, ServiceError>;
    /// Accounts by the SHA-256 of a known device's token.
    fn accounts_by_device_hash(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, AccountRef>, ServiceError>;
    /// Accounts by id.
    fn accounts_by_id(&self, ids: &[String]) -> Result<HashMap<String, AccountRef>, ServiceError>;
    /// The handlings of these anomalies.
    fn handlings(&self, ids: &[String]) -> Result<HashMap<String, AnomalyHandling>, ServiceError>;
}

/// What marking handled writes (SQL only).
pub(crate) trait HandlingTx {
    /// Appends the handling; `false` when the anomaly already has one.
    fn insert_handling(
        &self,
        anomaly_id: &str,
        kind: AnomalyKind,
        account_id: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError>;
}

/// The prefixes of the failure budgets that stand for an account.
pub const ACCOUNT_KEY_PREFIXES: [&str; 3] = ["login-mail:", "login-device:", "card-account:"];

/// The desk's items (of one kind, or all), newest first, with their handling.
pub(crate) fn list(
    tx: &dyn AnomalyTx,
    locks: &[SpentKey],
    kind: Option<AnomalyKind>,
    handled: Option<bool>,
    now: DateTime<Utc>,
) -> Result<Vec<Anomaly>, ServiceError> {
    let limit = crate::region::ANOMALIES_PER_KIND;
    let mut out = Vec::new();
    for k in AnomalyKind::ALL {
        if kind.is_some_and(|want| want != k) {
            continue;
        }
        match k {
            AnomalyKind::DepassementHorsLigne => {
                for f in tx.overspend_flags(limit)? {
                    out.push(overspend(tx, f)?);
                }
            }
            AnomalyKind::CarteVerrouillee => {
                out.extend(
                    tx.number_lockouts(limit)?
                        .into_iter()
                        .map(|l| lockout(l, now)),
                );
            }
            AnomalyKind::CompteVerrouille => out.extend(account_locks(tx, locks)?),
            AnomalyKind::TauxRemboursementInhabituel => out.extend(refund_rates(tx, now)?),
            AnomalyKind::HoraireInhabituel => out.extend(odd_hours(tx, now)?),
        }
    }
    attach_handlings(tx, &mut out)?;
    if let Some(h) = handled {
        out.retain(|a| a.handled.is_some() == h);
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// One item by its id (it must be on the desk now).
pub(crate) fn find(
    tx: &dyn AnomalyTx,
    locks: &[SpentKey],
    id: &str,
    now: DateTime<Utc>,
) -> Result<Anomaly, ServiceError> {
    let not_found = || ServiceError::NotFound("Anomalie");
    let (code, rest) = id.split_once(':').ok_or_else(not_found)?;
    let kind = AnomalyKind::from_code(code).ok_or_else(not_found)?;
    let mut found = match kind {
        AnomalyKind::DepassementHorsLigne => {
            let n: i64 = rest.parse().map_err(|_| not_found())?;
            match tx.overspend_flag(n)? {
                Some(f) => vec![overspend(tx, f)?],
                None => Vec::new(),
            }
        }
        AnomalyKind::CarteVerrouillee => {
            let n: i64 = rest.parse().map_err(|_| not_found())?;
            tx.number_lockout(n)?
                .into_iter()
                .map(|l| lockout(l, now))
                .collect()
        }
        AnomalyKind::CompteVerrouille => account_locks(tx, locks)?,
        AnomalyKind::TauxRemboursementInhabituel => refund_rates(tx, now)?,
        AnomalyKind::HoraireInhabituel => odd_hours(tx, now)?,
    };
    found.retain(|a| a.id == id);
    attach_handlings(tx, &mut found)?;
    found.pop().ok_or_else(not_found)
}

/// Marks an item handled, once, with a note (1 to 1000 characters).
pub(crate) fn mark_handled(
    tx: &dyn HandlingTx,
    anomaly: &Anomaly,
    account_id: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let note = crate::platform::sql::require_text("note", note, 1000)?;
    if anomaly.handled.is_some() {
        return Err(RegionError::AlreadyHandled.into());
    }
    if !tx.insert_handling(&anomaly.id, anomaly.kind, account_id, &note, now)? {
        return Err(RegionError::AlreadyHandled.into());
    }
    Ok(())
}

fn attach_handlings(tx: &dyn AnomalyTx, items: &mut [Anomaly]) -> Result<(), ServiceError> {
    let ids: Vec<String> = items.iter().map(|a| a.id.clone()).collect();
    let mut handled = tx.handlings(&ids)?;
    for a in items {
        a.handled = handled.remove(&a.id);
    }
    Ok(())
}

fn euros(cents: i64) -> Money {
    Money::from_cents(cents.max(0)).unwrap_or_default()
}

fn last4(number: &str) -> String {
    format!("•••• {}", number.get(12..).unwrap_or(""))
}

fn paris(at: DateTime<Utc>) -> String {
    at.with_timezone(&passregion_core::season::REGION_TZ)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

fn blank(kind: AnomalyKind, id: String, at: DateTime<Utc>, summary: String) -> Anomaly {
    Anomaly {
        id,
        kind,
        at,
        summary,
        card_id: None,
        card: None,
        partner_id: None,
        partner_name: None,
        account_id: None,
        amount: None,
        outcome: None,
        offline_debits: Vec::new(),
        handled: None,
    }
}

fn overspend(tx: &dyn AnomalyTx, f: FlagFacts) -> Result<Anomaly, ServiceError> {
    let mut debits =
        tx.card_offline_debits(&f.card_id, f.at, crate::region::FLAG_OFFLINE_DEBITS)?;
    for d in &mut debits {
        // The flag is written in the same transaction as the evidence of
        // the debit whose push raised it, at the same instant.
        d.triggered = d.received_at == f.at
            && d.status == passregion_core::status::OfflineDebitStatus::Applied;
    }
    let card = last4(&f.number);
    let mut a = blank(
        AnomalyKind::DepassementHorsLigne,
        format!("{}:{}", AnomalyKind::DepassementHorsLigne.code(), f.id),
        f.at,
        format!("Dépassement hors ligne sur la carte {card} : {}.", f.reason),
    );
    let amount = euros(f.amount_cents);
    a.outcome = Some(format!(
        "Carte signalée et codes de l'application révoqués ; la Région prend en charge {}.",
        amount.format_fr()
    ));
    a.amount = Some(amount);
    if let Some(t) = debits.iter().find(|d| d.triggered).or(debits.first()) {
        a.partner_id = Some(t.partner_id.clone());
        a.partner_name = Some(t.partner_name.clone());
    }
    a.card_id = Some(f.card_id);
    a.card = Some(card);
    a.offline_debits = debits;
    Ok(a)
}

fn lockout(l: LockoutFacts, now: DateTime<Utc>) -> Anomaly {
    let nth = if l.lockout <= 1 {
        "1er verrouillage".to_owned()
    } else {
        format!("{}e verrouillage", l.lockout)
    };
    let summary = match &l.number {
        Some(n) => format!(
            "Carte {} verrouillée après des dates de naissance erronées ({nth}).",
            last4(n)
        ),
        None => format!(
            "Numéro sans carte verrouillé après des dates de naissance erronées ({nth}) : quelqu'un essaie des numéros."
        ),
    };
    let mut a = blank(
        AnomalyKind::CarteVerrouillee,
        format!("{}:{}", AnomalyKind::CarteVerrouillee.code(), l.id),
        l.at,
        summary,
    );
    a.outcome = Some(if l.until > now {
        format!(
            "Saisie du numéro bloquée jusqu'au {} (heure de Paris).",
            paris(l.until)
        )
    } else {
        format!("Verrou levé le {} (heure de Paris).", paris(l.until))
    });
    a.card = l.number.as_deref().map(last4);
    a.card_id = l.card_id;
    a
}

fn account_locks(tx: &dyn AnomalyTx, locks: &[SpentKey]) -> Result<Vec<Anomaly>, ServiceError> {
    let with = |p: &str| -> Vec<String> {
        locks
            .iter()
            .filter_map(|k| k.key.strip_prefix(p).map(str::to_owned))
            .collect()
    };
    let [mail, device, card] = ACCOUNT_KEY_PREFIXES;
    let by_mail = tx.accounts_by_email_hash(&with(mail))?;
    let by_device = tx.accounts_by_device_hash(&with(device))?;
    let by_id = tx.accounts_by_id(&with(card))?;
    let mut out = Vec::new();
    for k in locks {
        let (account, what, nobody) = if let Some(h) = k.key.strip_prefix(mail) {
            let what = "tentatives de connexion (mot de passe erroné)";
            (by_mail.get(h), what, "Adresse e-mail sans compte")
        } else if let Some(h) = k.key.strip_prefix(device) {
            let what = "tentatives de connexion depuis un appareil connu";
            (by_device.get(h), what, "Appareil inconnu")
        } else if let Some(id) = k.key.strip_prefix(card) {
            let what = "recherches de cartes en échec (numéro ou date de naissance)";
            (by_id.get(id), what, "Compte inconnu")
        } else {
            continue;
        };
        let who = match account {
            Some(a) => format!("Compte « {} »", a.name),
            None => nobody.to_owned(),
        };
        let key_hash = crate::platform::sql::sha256_hex(k.key.as_bytes());
        let mut a = blank(
            AnomalyKind::CompteVerrouille,
            format!(
                "{}:{}:{}",
                AnomalyKind::CompteVerrouille.code(),
                key_hash.get(..16).unwrap_or(&key_hash),
                k.first_failure.timestamp()
            ),
            k.first_failure,
            format!("{who} verrouillé : {} {what}.", k.failures),
        );
        a.outcome = Some(format!(
            "Bloqué jusqu'au {} (heure de Paris), si rien d'autre n'échoue. État connu de la mémoire du serveur seulement : perdu à son redémarrage.",
            paris(k.until)
        ));
        a.account_id = account.map(|a| a.id.clone());
        out.push(a);
    }
    Ok(out)
}

fn refund_rates(tx: &dyn AnomalyTx, now: DateTime<Utc>) -> Result<Vec<Anomaly>, ServiceError> {
    let mut out = Vec::new();
    for p in tx.partner_activity(anomaly::refund_window_start(now))? {
        let Some((seq, at)) = p.last_refund else {
            continue;
        };
        if !anomaly::refund_rate_unusual(p.debits, p.debited_cents, p.refunded_cents) {
            continue;
        }
        let mut a = blank(
            AnomalyKind::TauxRemboursementInhabituel,
            format!(
                "{}:{}:{seq}",
                AnomalyKind::TauxRemboursementInhabituel.code(),
                p.partner_id
            ),
            at,
            format!(
                "{} : {} % des débits remboursés sur {} jours ({} débits pour {}, remboursements {} ; seuil {} %).",
                p.name,
                anomaly::refund_percent(p.debited_cents, p.refunded_cents),
                anomaly::REFUND_RATE_WINDOW_DAYS,
                p.debits,
                euros(p.debited_cents).format_fr(),
                euros(p.refunded_cents).format_fr(),
                anomaly::REFUND_RATE_MAX_PERCENT,
            ),
        );
        a.amount = Some(euros(p.refunded_cents));
        a.partner_id = Some(p.partner_id);
        a.partner_name = Some(p.name);
        out.push(a);
        if out.len() as i64 >= crate::region::ANOMALIES_PER_KIND {
            break;
        }
    }
    Ok(out)
}

fn odd_hours(tx: &dyn AnomalyTx, now: DateTime<Utc>) -> Result<Vec<Anomaly>, ServiceError> {
    // (partner, night) → (name, count, cents, last instant)
    type Night = (String, i64, i64, DateTime<Utc>);
    let mut nights: HashMap<(String, NaiveDate), Night> = HashMap::new();
    for d in tx.night_debits(anomaly::night_window_start(now))? {
        if !anomaly::odd_hour(d.at) {
            continue;
        }
        let e = nights
            .entry((d.partner_id, anomaly::night_of(d.at)))
            .or_insert((d.name, 0, 0, d.at));
        e.1 += 1;
        e.2 += d.amount_cents;
        e.3 = e.3.max(d.at);
    }
    let mut out: Vec<Anomaly> = nights
        .into_iter()
        .map(|((partner_id, night), (name, count, cents, last))| {
            let mut a = blank(
                AnomalyKind::HoraireInhabituel,
                format!("{}:{partner_id}:{night}", AnomalyKind::HoraireInhabituel.code()),
                last,
                format!(
                    "{name} : {count} débit{} entre {} h et {} h dans la nuit du {} (heure de Paris).",
                    if count > 1 { "s" } else { "" },
                    anomaly::NIGHT_START_HOUR,
                    anomaly::NIGHT_END_HOUR,
                    night.format("%d/%m/%Y"),
                ),
            );
            a.amount = Some(euros(cents));
            a.partner_id = Some(partner_id);
            a.partner_name = Some(name);
            a
        })
        .collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.at));
    out.truncate(usize::try_from(crate::region::ANOMALIES_PER_KIND).unwrap_or(usize::MAX));
    Ok(out)
}

//! Debits on PostgreSQL (ADR 0036, in progress): the `DebitTx` of a PostgreSQL transaction, and the debit of an identified card with its balance head (the card row) locked, for several instances on one database.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::Profile;
use passregion_core::Season;
use passregion_core::ledger::MovementKind;
use passregion_core::ledger::Totals;
use passregion_core::status::BatchStatus;
use passregion_core::status::ReimbursementStatus;
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::Transaction as PgTransaction;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::partner_of;
use crate::accounts::require_role;
use crate::debits::card::CARD_COLS;
use crate::debits::card::CardRef;
use crate::debits::card::CardRow;
use crate::debits::card::Channel;
use crate::debits::flow::DebitAsked;
use crate::debits::ledger::kind_code;
use crate::debits::ledger::kind_from;
use crate::debits::ledger::units_text;
use crate::debits::model::CardInspection;
use crate::debits::model::DebitRequest;
use crate::debits::model::RefundRequest;
use crate::debits::model::Transaction;
use crate::debits::model::TransactionPage;
use crate::debits::qr::UsedQr;
use crate::debits::refund::RefundAsked;
use crate::debits::repo::DebitsRepo;
use crate::debits::service::DebitAt;
use crate::debits::service::DebitTx;
use crate::debits::service::NewDebit;
use crate::debits::service::apply_debit;
use crate::debits::transactions::TX_SELECT;
use crate::debits::transactions::page;
use crate::debits::transactions::with_labels;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Outcome;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::idempotent_on;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

pub(crate) use crate::platform::pg_tx::PgTx;

fn season_of(start: i64) -> Result<Season, ServiceError> {
    i32::try_from(start)
        .ok()
        .and_then(|y| Season::starting(y).ok())
        .ok_or_else(|| ServiceError::Internal("bad season".into()))
}

/// A card row read with [`CARD_COLS`].
pub(crate) fn card_from(r: &Row) -> Result<CardRow, ServiceError> {
    let status: String = r.try_get(4)?;
    let public: String = r.try_get(5)?;
    let track: Option<String> = r.try_get(6)?;
    let birth: String = r.try_get(10)?;
    Ok(CardRow {
        id: r.try_get(0)?,
        number: r.try_get(1)?,
        establishment_id: r.try_get(2)?,
        season: season_of(r.try_get(3)?)?,
        status: passregion_core::CardStatus::from_code(&status)
            .ok_or_else(|| ServiceError::Internal("bad status".into()))?,
        profile: Profile {
            public: enum_from(&public)?,
            track: track.as_deref().map(enum_from).transpose()?,
            disabled: r.try_get(7)?,
        },
        first_name: r.try_get(8)?,
        last_name: r.try_get(9)?,
        birth_date: parse_date(&birth)?,
        status_reason: r.try_get(11)?,
        version: u32::try_from(r.try_get::<_, i64>(12)?)
            .map_err(|_| ServiceError::Internal("bad card version".into()))?,
    })
}

/// Locks the card's row until the end of the transaction, and reads it.
/// Every transaction that moves a card's balance takes this lock before it
/// reads the ledger's totals: under READ COMMITTED the totals read after it
/// include the movement of whoever held it (ADR 0036, decision 5).
pub(crate) fn lock_card(
    tx: &mut PgTransaction<'_>,
    card_id: &str,
) -> Result<Option<CardRow>, ServiceError> {
    tx.query_opt_cached(
        &format!("SELECT {CARD_COLS} FROM cards WHERE id = $1 FOR UPDATE"),
        &[&card_id],
    )?
    .as_ref()
    .map(card_from)
    .transpose()
}

/// The running totals of a card × season × avantage (its last ledger row).
pub(crate) fn totals(
    tx: &mut PgTransaction<'_>,
    card_id: &str,
    season: Season,
    avantage: &str,
) -> Result<Totals, ServiceError> {
    let row = tx.query_opt_cached(
        "SELECT loaded_total, debited_total, refunded_total FROM ledger
         WHERE card_id = $1 AND season = $2 AND avantage = $3 ORDER BY id DESC LIMIT 1",
        &[&card_id, &i64::from(season.start_year()), &avantage],
    )?;
    Ok(match row {
        Some(r) => Totals {
            loaded: r.try_get(0)?,
            debited: r.try_get(1)?,
            refunded: r.try_get(2)?,
        },
        None => Totals::default(),
    })
}

/// One ledger movement after `before` (read in this transaction, under the
/// card's lock), with the running totals after it. Returns them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_ledger_after(
    tx: &mut PgTransaction<'_>,
    card_id: &str,
    season: Season,
    avantage: &str,
    unit_kind: passregion_core::debit::AvantageKind,
    movement: MovementKind,
    units: i64,
    transaction_id: Option<&str>,
    before: Totals,
    now: DateTime<Utc>,
) -> Result<Totals, ServiceError> {
    let after = crate::debits::ledger::totals_after(before, movement, units)?;
    tx.execute_cached(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
         loaded_total, debited_total, refunded_total, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &card_id,
            &i64::from(season.start_year()),
            &avantage,
            &kind_code(unit_kind),
            &movement.code(),
            &units,
            &transaction_id,
            &after.loaded,
            &after.debited,
            &after.refunded,
            &ts(now),
        ],
    )?;
    Ok(after)
}

/// A transaction row read with [`TX_SELECT`].
pub(crate) fn tx_from(r: &Row) -> Result<Transaction, ServiceError> {
    let kind = kind_from(&r.try_get::<_, String>(7)?)?;
    let number: String = r.try_get(5)?;
    let batch: Option<String> = r.try_get(15)?;
    let batch = batch
        .as_deref()
        .map(|s| BatchStatus::parse(s).ok_or_else(|| ServiceError::Internal("bad batch".into())))
        .transpose()?;
    Ok(Transaction {
        id: r.try_get(0)?,
        seq: r.try_get(1)?,
        kind: r.try_get(2)?,
        partner_id: r.try_get(3)?,
        partner_name: r.try_get(4)?,
        card: format!("•••• {}", number.get(12..).unwrap_or("")),
        avantage: r.try_get(6)?,
        avantage_label: String::new(),
        season: season_of(r.try_get(17)?)?.to_string(),
        unit_kind: kind,
        price: units_text(kind, r.try_get(8)?),
        debited: units_text(kind, r.try_get(9)?),
        reste_a_payer: units_text(kind, r.try_get(10)?),
        balance_after: None,
        reimbursed_amount: units_text(passregion_core::debit::AvantageKind::Credit, r.try_get(11)?),
        refund_of: r.try_get(12)?,
        refunded: r.try_get(13)?,
        channel: r.try_get(14)?,
        booking_id: r.try_get(18)?,
        booking_label: r.try_get(19)?,
        reimbursement_status: ReimbursementStatus::of_batch(batch).as_str().to_owned(),
        created_at: parse_ts(&r.try_get::<_, String>(16)?)?,
    })
}

impl DebitTx for PgTx<'_, '_> {
    fn totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError> {
        self.with(|tx| totals(tx, card_id, season, avantage))
    }

    fn qr_used(&self, credential_id: &str, counter: u32) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt_cached(
                    "SELECT 1 FROM qr_uses WHERE credential_id = $1 AND counter = $2",
                    &[&credential_id, &i64::from(counter)],
                )?
                .is_some())
        })
    }

    /// One statement (one round trip): the transaction, its ledger row, and
    /// the transaction read back as [`TX_SELECT`] shows it (a new debit has
    /// no refund, batch or booking yet). The ledger row's foreign key to the
    /// transaction is checked at the end of the statement, once both exist.
    fn insert_debit(
        &self,
        cats: &Catalogues,
        d: &NewDebit<'_>,
    ) -> Result<Transaction, ServiceError> {
        let after = crate::debits::ledger::totals_after(
            d.before,
            MovementKind::Debit,
            d.outcome.debited.units(),
        )?;
        self.with(|tx| {
            let row = tx.query_one_cached(
                "WITH t AS (
                     INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season,
                     avantage, unit_kind, price_units, units, reste_units, amount_cents, channel,
                     created_at)
                     VALUES ($1, 'debit', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                     RETURNING *
                 ), l AS (
                     INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
                     transaction_id, loaded_total, debited_total, refunded_total, created_at)
                     VALUES ($2, $5, $6, $7, 'debit', $9, $1, $14, $15, $16, $13)
                 )
                 SELECT t.id, t.seq, t.kind, t.partner_id, p.name, c.number, t.avantage,
                 t.unit_kind, t.price_units, t.units, t.reste_units, t.amount_cents, t.refund_of,
                 FALSE, t.channel, NULL::TEXT, t.created_at, t.season, NULL::TEXT, NULL::TEXT
                 FROM t JOIN partners p ON p.id = t.partner_id JOIN cards c ON c.id = t.card_id",
                &[
                    &d.id,
                    &d.card.id,
                    &d.at.partner_id,
                    &d.at.account_id,
                    &i64::from(d.card.season.start_year()),
                    &d.avantage.code,
                    &kind_code(d.avantage.kind),
                    &d.price.units(),
                    &d.outcome.debited.units(),
                    &d.outcome.reste_a_payer.units(),
                    &d.reimbursed.cents(),
                    &d.at.channel,
                    &ts(d.at.now),
                    &after.loaded,
                    &after.debited,
                    &after.refunded,
                ],
            )?;
            if let Some(u) = d.used_qr {
                tx.execute_cached(
                    "INSERT INTO qr_uses (credential_id, counter, transaction_id)
                     VALUES ($1, $2, $3)",
                    &[&u.credential_id, &i64::from(u.counter), &d.id],
                )?;
            }
            with_labels(cats, vec![tx_from(&row)?])
                .into_iter()
                .next()
                .ok_or(ServiceError::Internal("transaction not written".into()))
        })
    }

    fn transaction(&self, cats: &Catalogues, id: &str) -> Result<Transaction, ServiceError> {
        self.with(|tx| {
            let rows = tx.query_cached(&format!("{TX_SELECT} WHERE t.id = $1"), &[&id])?;
            let items = rows.iter().map(tx_from).collect::<Result<Vec<_>, _>>()?;
            with_labels(cats, items)
                .into_iter()
                .next()
                .ok_or(ServiceError::Internal("transaction not found".into()))
        })
    }
}

/// Debits an identified card in `tx`: its row locked first (the balance
/// head), then the shared rule (`debits::service::apply_debit`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn debit_card(
    tx: &mut PgTransaction<'_>,
    cats: &Catalogues,
    at: &DebitAt<'_>,
    card_id: &str,
    avantage: &str,
    price: Option<Money>,
    entries: Option<u32>,
    used_qr: Option<&UsedQr>,
) -> Result<Outcome<(Transaction, String)>, ServiceError> {
    let Some(row) = lock_card(tx, card_id)? else {
        return Err(ServiceError::NotFound("card"));
    };
    apply_debit(
        &PgTx::new(tx),
        cats,
        at,
        &row,
        avantage,
        price,
        entries,
        used_qr,
    )
}

/// A partner's debit of an identified card.
#[derive(Debug, Clone)]
pub struct CardDebit {
    /// The card.
    pub card_id: String,
    /// The partner, its category and the staff account debiting.
    pub partner: (String, PartnerCategory, String),
    /// Avantage code.
    pub avantage: String,
    /// Price (credit avantages).
    pub price: Option<Money>,
    /// Entries (entries avantages).
    pub entries: Option<u32>,
}

impl PgStore {
    /// Debits an identified card in one transaction (retried on conflicts).
    /// The repository's `debit` adds the idempotency key, the card's
    /// identification and the receipt around this same transaction.
    pub fn debit_identified(
        &self,
        d: &CardDebit,
        now: DateTime<Utc>,
    ) -> Result<(Transaction, String), ServiceError> {
        let at = DebitAt {
            partner_id: &d.partner.0,
            category: d.partner.1,
            account_id: &d.partner.2,
            channel: "web",
            now,
        };
        self.pool.write_outcome(|tx| {
            debit_card(
                tx,
                &self.catalogues,
                &at,
                &d.card_id,
                &d.avantage,
                d.price,
                d.entries,
                None,
            )
        })
    }
}

/// Transactions matching `clause` (PostgreSQL placeholders), labelled.
fn transactions_where(
    tx: &mut PgTransaction<'_>,
    cats: &Catalogues,
    clause: &str,
    args: &[&(dyn r2d2_postgres::postgres::types::ToSql + Sync)],
) -> Result<Vec<Transaction>, ServiceError> {
    let rows = tx.query_cached(&format!("{TX_SELECT} WHERE {clause}"), args)?;
    let items = rows.iter().map(tx_from).collect::<Result<Vec<_>, _>>()?;
    Ok(with_labels(cats, items))
}

impl DebitsRepo for PgStore {
    fn inspect_card(
        &self,
        who: &Principal,
        card: CardRef,
        now: DateTime<Utc>,
    ) -> Result<CardInspection, ServiceError> {
        let (_, category) = partner_of(who)?;
        self.pool.write_outcome(|tx| {
            crate::debits::flow::inspect(
                &PgTx::new(tx),
                &self.catalogues,
                &self.policy,
                &card,
                category,
                now,
            )
        })
    }

    /// One transaction: the key claimed (a concurrent first use of it
    /// waits, then replays), the card identified and its row locked, the
    /// debit, the receipt, the answer stored.
    fn debit(
        &self,
        who: &Principal,
        card: CardRef,
        req: DebitRequest,
        channel: Channel,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let (partner_id, category) = partner_of(who)?;
        let asked = DebitAsked {
            partner_id,
            category,
            account_id: &who.account_id,
            card: &card,
            req: &req,
            channel,
            now,
        };
        self.pool.write_outcome(|tx| {
            idempotent_on(&PgTx::new(tx), &idem, now, |tx| {
                crate::debits::flow::debit(tx, &self.catalogues, &self.policy, &asked)
            })
        })
    }

    fn replayed_debit(&self, idem: &Idempotency) -> Result<Option<StoredResponse>, ServiceError> {
        self.pool
            .read_one(|c| crate::platform::idempotency_pg::replayed(c, idem))
    }

    fn refund(
        &self,
        who: &Principal,
        transaction_id: &str,
        req: RefundRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let (partner_id, _) = partner_of(who)?;
        let asked = RefundAsked {
            partner_id,
            account_id: &who.account_id,
            transaction_id,
            req: &req,
            now,
        };
        self.pool.write_outcome(|tx| {
            idempotent_on(&PgTx::new(tx), &idem, now, |tx| {
                crate::debits::flow::refund(tx, &self.catalogues, self.policy.refund, &asked)
            })
        })
    }

    fn partner_transactions(
        &self,
        who: &Principal,
        after: i64,
        limit: u32,
    ) -> Result<TransactionPage, ServiceError> {
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        self.pool.read(|tx| {
            let items = transactions_where(
                tx,
                &self.catalogues,
                "t.partner_id = $1 AND t.seq > $2 ORDER BY t.seq LIMIT $3",
                &[&pid, &after, &i64::from(limit)],
            )?;
            Ok(page(items, after))
        })
    }

    fn my_transactions(&self, who: &Principal) -> Result<Vec<Transaction>, ServiceError> {
        require_role(who, Role::Youth)?;
        self.pool.read(|tx| {
            transactions_where(
                tx,
                &self.catalogues,
                "t.card_id = (SELECT id FROM cards WHERE account_id = $1)
                 ORDER BY t.seq DESC LIMIT 500",
                &[&who.account_id],
            )
        })
    }

    fn region_transactions(&self, after: i64, limit: u32) -> Result<TransactionPage, ServiceError> {
        self.pool.read(|tx| {
            let items = transactions_where(
                tx,
                &self.catalogues,
                "t.seq > $1 ORDER BY t.seq LIMIT $2",
                &[&after, &i64::from(limit)],
            )?;
            Ok(page(items, after))
        })
    }
}

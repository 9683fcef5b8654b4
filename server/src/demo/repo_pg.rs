//! The demo's storage calls on PostgreSQL (ADR 0036): `DemoRepo` for
//! `PgStore`, the check-and-seed under an advisory lock so that instances
//! started together with `--demo` on one empty database seed it once.

use chrono::{DateTime, Utc};
use passregion_core::status::RegionRole;

use crate::demo::repo::{
    ClassRules, DemoCandidate, DemoClassTx, DemoEstablishment, DemoPartner, DemoRepo, DemoSummary,
};
use crate::error::ServiceError;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// The advisory lock key held while an instance checks and seeds the demo
/// ("PRdemo" in ASCII). Advisory locks are per database.
const SEED_LOCK: i64 = 0x5052_6465_6d6f;

impl DemoClassTx for PgTx<'_, '_> {
    fn head_of(&self, establishment_id: &str) -> Result<String, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT id FROM accounts WHERE establishment_id = $1
                     AND establishment_role = 'head' ORDER BY created_at LIMIT 1",
                    &[&establishment_id],
                )?
                .try_get(0)?)
        })
    }

    fn insert_youth(
        &self,
        id: &str,
        email: &str,
        password_hash: &str,
        display_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at,
             email_verified_at) VALUES ($1, $2, $3, 'youth', $4, $5, $5)",
            &[&id, &email, &password_hash, &display_name, &ts(at)],
        )
    }
}

impl DemoRepo for PgStore {
    fn with_seed_lock(
        &self,
        f: &mut dyn FnMut() -> Result<Option<DemoSummary>, ServiceError>,
    ) -> Result<Option<DemoSummary>, ServiceError> {
        // A session lock on a connection of its own, held while `f` seeds
        // through the pool's other connections; released when the
        // connection closes if this process dies.
        let mut conn = self.pool.get()?;
        conn.execute("SELECT pg_advisory_lock($1)", &[&SEED_LOCK])?;
        let result = f();
        let unlocked = conn.execute("SELECT pg_advisory_unlock($1)", &[&SEED_LOCK]);
        let summary = result?;
        unlocked?;
        Ok(summary)
    }

    fn demo_is_empty(&self) -> Result<bool, ServiceError> {
        self.pool.read(|tx| {
            let n: i64 = tx
                .query_one("SELECT COUNT(*) FROM accounts", &[])?
                .try_get(0)?;
            Ok(n == 0)
        })
    }

    fn demo_insert_establishments(
        &self,
        rows: &'static [DemoEstablishment],
    ) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            for (id, name, kind, city, cp) in rows {
                tx.execute(
                    "INSERT INTO establishments (id, name, kind, city, postal_code)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[id, name, kind, city, cp],
                )?;
            }
            Ok(())
        })
    }

    fn demo_insert_partner(&self, p: DemoPartner) -> Result<(), ServiceError> {
        let status = passregion_core::status::ConventionStatus::Validated.as_str();
        self.pool.write(|tx| {
            tx.execute(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                 longitude, status, convention_signed_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9)",
                &[
                    &p.id,
                    &p.name,
                    &p.category,
                    &p.address,
                    &p.city,
                    &p.postal_code,
                    &p.latitude,
                    &p.longitude,
                    &ts(p.signed_at),
                    &status,
                ],
            )?;
            Ok(())
        })
    }

    fn demo_insert_candidate(&self, d: DemoCandidate) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            tx.execute(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                 longitude, status, created_at, siret, phone, contact_name, iban, bic,
                 submitted_at, convention_signed_at)
                 VALUES ($1, 'Cinéma Les Alizés', 'cinema', '214 avenue Franklin-Roosevelt', 'Bron',
                 '69500', 45.7386, 4.9128, 'pending', $2, '73282932000074', '+33611223344',
                 'Karim Benali', 'FR7630006000011234567890189', 'AGRIFRPP', $2, $3)",
                &[&d.partner_id, &ts(d.applied_at), &ts(d.signed_at)],
            )?;
            tx.execute(
                "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
                 created_at, email_verified_at, partner_role)
                 VALUES ($1, $2, $3, 'partner', 'Karim Benali', $4, $5, $5, 'manager')",
                &[
                    &d.account_id,
                    &d.email,
                    &d.password_hash,
                    &d.partner_id,
                    &ts(d.applied_at),
                ],
            )?;
            Ok(())
        })
    }

    fn demo_set_region_role(&self, account_id: &str, role: RegionRole) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            tx.execute(
                "UPDATE accounts SET region_role = $2 WHERE id = $1",
                &[&account_id, &role.as_str()],
            )?;
            Ok(())
        })
    }

    fn demo_active_cards(
        &self,
        except_email: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        let active = passregion_core::CardStatus::Active.code();
        self.pool.read(|tx| {
            tx.query(
                "SELECT c.id, c.number FROM cards c JOIN accounts a ON a.id = c.account_id
                  WHERE c.status = $1 AND a.email <> $2
                  ORDER BY c.created_at, c.number LIMIT $3",
                &[&active, &except_email, &limit],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
        })
    }

    fn demo_accounts_exist(&self, emails: &[String]) -> Result<Vec<bool>, ServiceError> {
        self.pool.read(|tx| {
            emails
                .iter()
                .map(|e| {
                    Ok(tx
                        .query_opt("SELECT 1 FROM accounts WHERE email = $1", &[e])?
                        .is_some())
                })
                .collect()
        })
    }

    fn demo_card_of(&self, email: &str) -> Result<Option<(String, String)>, ServiceError> {
        self.pool.read(|tx| {
            tx.query_opt(
                "SELECT c.number, c.birth_date FROM cards c JOIN accounts a ON a.id = c.account_id
                 WHERE a.email = $1",
                &[&email],
            )?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
        })
    }

    fn demo_seed_class(&self, rules: ClassRules) -> Result<(), ServiceError> {
        self.pool
            .write(|tx| rules(&PgTx::new(tx), &self.catalogues))
    }
}

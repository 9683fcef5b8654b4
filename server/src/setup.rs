//! `passregion-server init`: a region's first start without the demo. Creates
//! the data directory (0700), the database, the keys, and the first Region
//! administrator, who chooses a password through a one-time setup link
//! (mailed, and printed for the operator). Optionally moves the root key out
//! of the data directory to a path meant to go offline, after signing a
//! trust list with it (ADR 0010).

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};

use crate::accounts::model::Role;
use crate::accounts::password::{hash_password, new_token};
use crate::accounts::repo::{AccountsRepo, NewAccount};
use crate::config::{Config, Policy, load_catalogues};
use crate::platform::db::Db;
use crate::platform::keys::{ROOT_KEY_FILE, SIGNED_LIST_FILE, ServerKeys};
use crate::platform::mail::Mail;
use crate::platform::sql::sha256_hex;
use crate::platform::store::SqliteStore;

/// How long the administrator's setup link works.
pub const SETUP_LINK_VALIDITY: Duration = Duration::hours(72);

/// What `init` did.
#[derive(Debug)]
pub struct InitReport {
    /// The link the administrator follows to choose a password.
    pub setup_link: String,
    /// Where the root key went, when moved out of the data directory.
    pub root_key_moved_to: Option<PathBuf>,
}

/// Initialises a data directory for a region (see the module documentation).
/// Refuses a directory that already has a Region account.
pub fn init(
    config: &Config,
    admin_email: &str,
    admin_name: &str,
    root_key_out: Option<&Path>,
    now: DateTime<Utc>,
) -> anyhow::Result<InitReport> {
    let email = crate::accounts::check_email("admin_email", &admin_email.trim().to_lowercase())
        .map_err(|e| anyhow::anyhow!("adresse de l'administrateur invalide : {e}"))?;
    let name = admin_name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 80,
        "nom de l'administrateur invalide (1 à 80 caractères)"
    );
    let store = open_store(config)?;
    ServerKeys::load_or_create(&config.data_dir, now)?;
    anyhow::ensure!(
        !store
            .has_account_with_role(Role::Region)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        "cette installation a déjà un compte de la Région : rien n'a été changé"
    );
    // An unusable password until the link is followed.
    let placeholder = hash_password(&new_token()).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_account(NewAccount {
            email: email.clone(),
            password_hash: placeholder,
            role: Role::Region,
            display_name: name.to_owned(),
            partner_id: None,
            establishment_id: None,
        })
        .map_err(|e| anyhow::anyhow!("cannot create the administrator: {e}"))?;
    let token = new_token();
    store
        .create_reset_token(
            &email,
            &sha256_hex(token.as_bytes()),
            now + SETUP_LINK_VALIDITY,
            now,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", config.bind.port()));
    let setup_link = format!(
        "{}/#/reinitialiser?jeton={token}",
        base.trim_end_matches('/')
    );
    crate::app::mailer(config)?
        .send(&Mail {
            to: email,
            subject: "PASS'Région : votre compte d'administration".into(),
            body: format!(
                "Bonjour {name},\n\nVotre compte d'administration de PASS'Région est créé. Choisissez votre mot de passe avec ce lien (valable 72 heures, une seule fois) :\n{setup_link}\n"
            ),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let root_key_moved_to = match root_key_out {
        Some(out) => Some(move_root_key(&config.data_dir, out, now)?),
        None => None,
    };
    Ok(InitReport {
        setup_link,
        root_key_moved_to,
    })
}

/// The data directory (0700) and its database, migrated.
fn open_store(config: &Config) -> anyhow::Result<SqliteStore> {
    crate::platform::private_dir(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let db_path = config.data_dir.join("passregion.db");
    crate::platform::private_file(&db_path)?;
    let db = std::sync::Arc::new(
        Db::open(&db_path).map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?,
    );
    let catalogues = std::sync::Arc::new(load_catalogues(&config.catalogues)?);
    Ok(SqliteStore::new(db, catalogues, Policy::default()))
}

/// Signs a 30-day trust list with the root key, then moves the key to `out`
/// (0600): from then on the server never holds it (`sign-trust-list` signs
/// the next lists, from the offline copy).
fn move_root_key(data_dir: &Path, out: &Path, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
    let keys = data_dir.join("keys");
    let root = keys.join(ROOT_KEY_FILE);
    anyhow::ensure!(
        !out.exists(),
        "{} existe déjà : rien n'a été déplacé",
        out.display()
    );
    ServerKeys::sign_trust_list(
        data_dir,
        &root,
        &keys.join(SIGNED_LIST_FILE),
        now,
        Duration::days(30),
    )?;
    crate::platform::private_file(out)?;
    std::fs::copy(&root, out).with_context(|| format!("cannot write {}", out.display()))?;
    std::fs::remove_file(&root).with_context(|| format!("cannot remove {}", root.display()))?;
    Ok(out.to_owned())
}

/// `import-establishments`: checks the whole file, reports every bad line,
/// and imports only a clean file (unless `dry_run`). Returns (added,
/// updated), or the line errors.
pub fn import_establishments(
    config: &Config,
    text: &str,
    dry_run: bool,
) -> anyhow::Result<Result<(usize, usize), Vec<crate::establishments::import::LineError>>> {
    use crate::establishments::repo::EstablishmentsRepo;
    let rows = match crate::establishments::import::parse(text) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    if dry_run {
        return Ok(Ok((rows.len(), 0)));
    }
    let store = open_store(config)?;
    Ok(Ok(store
        .upsert_establishments(rows)
        .map_err(|e| anyhow::anyhow!("{e}"))?))
}

/// What a staff import did: how many were invited and the addresses
/// refused; or every bad line of the file (nothing done).
pub type StaffImport = Result<(usize, Vec<String>), Vec<crate::establishments::import::LineError>>;

/// Imports établissement staff from a CSV file (`uai;email;nom;role`):
/// every line checked first (nothing on error), then each person invited
/// by e-mail, `progress(done, total)` after each. Returns how many were
/// invited and the addresses refused (already used elsewhere).
pub fn import_staff(
    config: &Config,
    text: &str,
    dry_run: bool,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<StaffImport> {
    let store = std::sync::Arc::new(open_store(config)?);
    let ids: std::collections::HashSet<String> = store
        .db()
        .read(|c| {
            let mut stmt = c.prepare("SELECT id FROM establishments")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = match crate::establishments::staff_import::parse(text, &|u| ids.contains(u)) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    if dry_run {
        return Ok(Ok((rows.len(), Vec::new())));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mailer = crate::app::mailer(config)?;
    let passwords = crate::accounts::password::PasswordWork::for_this_machine();
    let mails = crate::web::limits::FailureWindow::new(3, chrono::Duration::hours(24));
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", config.bind.port()));
    let (total, mut invited, mut refused) = (rows.len(), 0, Vec::new());
    for (i, row) in rows.into_iter().enumerate() {
        let staffing = crate::establishments::desk::Staffing {
            store: store.clone(),
            passwords: &passwords,
            mailer: mailer.clone(),
            mails: &mails,
            public_url: &public_url,
        };
        let invitation = passregion_core::api::desk::EstablishmentInvitation {
            email: row.email.clone(),
            display_name: row.name.clone(),
            role: row.role,
        };
        match runtime.block_on(crate::establishments::desk::invite_to(
            staffing,
            row.uai.clone(),
            invitation,
            chrono::Utc::now(),
        )) {
            Ok(_) => invited += 1,
            Err(e) => refused.push(format!(
                "ligne {} ({}) : {}",
                row.line,
                row.email,
                crate::web::problem::ApiError::from(e).message
            )),
        }
        progress(i + 1, total);
    }
    Ok(Ok((invited, refused)))
}

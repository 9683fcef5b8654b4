//! The core clients behind the app: a `PartnerClient` and a `YouthClient` on
//! SQLite stores in the app's data directory. The commands below only convert
//! and forward; every decision (the offline rule, code verification, the
//! outbox) is the core's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passregion_core::client::{
    ClientError, DebitReceipt, DeviceInfo, HomeScreen, OfflineAvantage, OpenReport, OutboxItem,
    PartnerClient, PushReport, ReqwestTransport, SharedSigner, Store, SyncState, YouthClient,
};

use crate::keystore;
use passregion_core::clock::{Clock, SystemClock};
use passregion_core::credential::Verified;
use passregion_core::Money;
use serde::Serialize;

/// An error as the web frontend sees it: a stable code and a French message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppError {
    /// Stable code (the server's when it refused).
    pub code: String,
    /// French message for the user.
    pub message: String,
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        AppError {
            code: e.code().to_owned(),
            message: e.user_message(),
        }
    }
}

fn internal(what: &str) -> AppError {
    AppError {
        code: "erreur_interne".into(),
        message: format!("Erreur interne de l'application ({what})."),
    }
}

/// The clients of this app, opened on first use.
pub struct Clients {
    dir: PathBuf,
    use_keyring: bool,
    partner: Mutex<Option<Arc<PartnerClient>>>,
    youth: Mutex<Option<Arc<YouthClient>>>,
    /// When the partner device last synced completely (RFC 3339).
    last_sync: Mutex<Option<String>>,
    /// On a phone: the platform keystore's signer of a purpose (set at
    /// setup by `mobile_keys`); on desktop, none (OS keyring or file).
    platform_signer: Mutex<Option<PlatformSigners>>,
}

/// Gives the phone keystore's signer of a purpose (`partner`, `youth`).
pub type PlatformSigners = Arc<dyn Fn(&str) -> Option<SharedSigner> + Send + Sync>;

impl Clients {
    /// Clients whose stores live in `dir`; device keys in the OS keyring
    /// unless `PASSREGION_NO_KEYRING` is set (then a 0600 file).
    pub fn new(dir: PathBuf) -> Clients {
        let use_keyring = std::env::var_os("PASSREGION_NO_KEYRING").is_none();
        Clients::with_keyring(dir, use_keyring)
    }

    /// Clients whose stores live in `dir`, with or without the OS keyring.
    pub fn with_keyring(dir: PathBuf, use_keyring: bool) -> Clients {
        Clients {
            dir,
            use_keyring,
            partner: Mutex::new(None),
            youth: Mutex::new(None),
            last_sync: Mutex::new(None),
            platform_signer: Mutex::new(None),
        }
    }

    /// The device key of `purpose`: kept by the OS keyring or a 0600 file
    /// (`keystore`). A store that already holds a software key (an app
    /// installed before the keystore) keeps it: its device is enrolled with it.
    fn signer(&self, store: &Store, purpose: &str) -> Result<Option<SharedSigner>, AppError> {
        let legacy = store.has_software_key(purpose).map_err(ClientError::from)?;
        if legacy {
            return Ok(None);
        }
        let platform = self.platform_signer.lock().ok().and_then(|p| p.clone());
        if let Some(signer) = platform.and_then(|f| f(purpose)) {
            return Ok(Some(signer));
        }
        keystore::device_signer(&self.dir.join("keys"), purpose, self.use_keyring)
            .map(|s| Some(keystore::shared(s)))
            .map_err(|_| AppError::from(ClientError::Key("device key".into())))
    }

    /// Uses the phone keystore for the device keys (mobile builds).
    pub fn set_platform_signers(&self, f: PlatformSigners) {
        if let Ok(mut slot) = self.platform_signer.lock() {
            *slot = Some(f);
        }
    }

    /// Syncs the partner device and remembers when it last succeeded.
    pub fn sync_partner(&self, c: &PartnerClient) -> Result<PushReport, AppError> {
        let report = c.sync()?;
        if let Ok(mut at) = self.last_sync.lock() {
            *at = Some(SystemClock.now().to_rfc3339());
        }
        Ok(report)
    }

    /// The device's offline state.
    pub fn status(&self, c: &PartnerClient) -> Result<PartnerStatus, AppError> {
        let mut s = partner_status(c)?;
        s.last_sync = self.last_sync.lock().ok().and_then(|at| at.clone());
        Ok(s)
    }

    fn transport() -> Result<Arc<ReqwestTransport>, AppError> {
        ReqwestTransport::new(Duration::from_secs(8))
            .map(Arc::new)
            .map_err(|_| internal("transport"))
    }

    /// Opens a client once: its store `file` in the app's data directory,
    /// its device key of `purpose`.
    fn open<C>(
        &self,
        slot: &Mutex<Option<Arc<C>>>,
        file: &str,
        purpose: &str,
        make: impl FnOnce(
            Arc<Store>,
            Arc<ReqwestTransport>,
            Option<SharedSigner>,
        ) -> Result<C, ClientError>,
    ) -> Result<Arc<C>, AppError> {
        let mut slot = slot.lock().map_err(|_| internal("verrou"))?;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        std::fs::create_dir_all(&self.dir).map_err(|_| internal("dossier"))?;
        let store = Arc::new(Store::open(&self.dir.join(file)).map_err(ClientError::from)?);
        let signer = self.signer(&store, purpose)?;
        let c = Arc::new(make(store, Self::transport()?, signer)?);
        *slot = Some(c.clone());
        Ok(c)
    }

    /// The partner client (its store reopened at launch: the outbox is read
    /// again and pushed at the next sync).
    pub fn partner(&self) -> Result<Arc<PartnerClient>, AppError> {
        self.open(
            &self.partner,
            "partner.db",
            "partner",
            |store, t, signer| PartnerClient::with_store(store, t, Arc::new(SystemClock), signer),
        )
    }

    /// The youth client.
    pub fn youth(&self) -> Result<Arc<YouthClient>, AppError> {
        self.open(&self.youth, "youth.db", "youth", |store, t, signer| {
            YouthClient::with_store(store, t, Arc::new(SystemClock), signer)
        })
    }
}

/// Syncs in the background: at launch, then every `every`, the partner
/// device pushes its outbox and pulls the trust list, the deny list and the
/// directory (backoff inside the core), and the youth's phone refreshes its
/// card and credential. Nothing happens for a client that is not logged in.
pub fn start_background_sync(clients: Arc<Clients>, every: Duration) {
    let spawned = std::thread::Builder::new()
        .name("passregion-sync".into())
        .spawn(move || loop {
            if let Ok(c) = clients.partner() {
                if matches!(c.device(), Ok(Some(_))) {
                    let _ = clients.sync_partner(&c);
                }
            }
            if let Ok(y) = clients.youth() {
                if y.card().is_ok_and(|c| c.is_some()) {
                    let _ = y.sync();
                }
            }
            std::thread::sleep(every);
        });
    if spawned.is_err() {
        eprintln!("PASS'Région : synchronisation en arrière-plan indisponible");
    }
}

/// What the partner screens show of the device: its sync state, what waits
/// in the outbox and what the server refused.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerStatus {
    /// Sync state (`idle`, `syncing`, `offline`, `error`).
    pub sync: SyncState,
    /// Offline debits not yet acknowledged by the server.
    pub pending: usize,
    /// The outbox, newest first (pending, synced and refused items).
    pub outbox: Vec<OutboxItem>,
    /// The enrolled device, if any.
    pub device: Option<DeviceInfo>,
    /// How the store was opened (a quarantined file is shown to the user).
    pub store: OpenReport,
    /// When the device last synced completely (RFC 3339), since launch.
    pub last_sync: Option<String>,
}

/// A debit's receipt as shown.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// The receipt.
    #[serde(flatten)]
    pub receipt: DebitReceipt,
    /// French status line.
    pub status_label: String,
}

/// What a scanned code is, checked offline by the core's verifier.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedCode {
    /// `app` (a phone's dynamic code) or `card` (a printed card).
    pub kind: &'static str,
    /// The card.
    pub card_id: String,
    /// For an app code: its offline limits (cents).
    pub allowance_cents: Option<u32>,
    /// For an app code: the largest offline debit (cents).
    pub per_transaction_max_cents: Option<u32>,
}

/// Runs blocking client work off the UI thread.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|_| internal("tâche"))?
}

pub(crate) fn partner_status(c: &PartnerClient) -> Result<PartnerStatus, AppError> {
    Ok(PartnerStatus {
        sync: c.sync_state(),
        pending: c.pending_count()?,
        outbox: c.outbox()?,
        device: c.device()?,
        store: c.open_report(),
        last_sync: None,
    })
}

/// Logs the partner in with the core client and enrols this device the first
/// time (its key signs every offline debit); then pulls the trust and deny
/// lists.
#[tauri::command]
pub async fn partner_login(
    state: tauri::State<'_, Arc<Clients>>,
    server_url: String,
    email: String,
    password: String,
) -> Result<PartnerStatus, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.partner()?;
        c.login(&server_url, &email, &password)?;
        if c.device()?.is_none() {
            c.enrol("Appareil de caisse")?;
        }
        c.pull()?;
        clients.status(&c)
    })
    .await
}

/// The device's offline state.
#[tauri::command]
pub async fn partner_status_cmd(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<PartnerStatus, AppError> {
    let clients = state.inner().clone();
    blocking(move || clients.status(clients.partner()?.as_ref())).await
}

/// Checks a scanned code with the core's verifier (trust list, deny list,
/// replay state), without network.
#[tauri::command]
pub async fn partner_scan(
    state: tauri::State<'_, Arc<Clients>>,
    qr: String,
) -> Result<ScannedCode, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let r = clients.partner()?.scan(&qr)?;
        Ok(match r.verified {
            Verified::App(a) => ScannedCode {
                kind: "app",
                card_id: a.card_id.to_string(),
                allowance_cents: Some(a.limits.allowance_cents),
                per_transaction_max_cents: Some(a.limits.per_transaction_max_cents),
            },
            Verified::Card(c) => ScannedCode {
                kind: "card",
                card_id: c.card_id.to_string(),
                allowance_cents: None,
                per_transaction_max_cents: None,
            },
        })
    })
    .await
}

/// Debits: online first (the server decides); when the server cannot be
/// reached, the core's offline rule decides and the debit waits in the
/// outbox.
#[tauri::command]
pub async fn partner_debit(
    state: tauri::State<'_, Arc<Clients>>,
    qr: String,
    avantage: String,
    price: String,
) -> Result<Receipt, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let price = Money::parse(&price).map_err(|_| AppError {
            code: "montant_invalide".into(),
            message: "Montant invalide (par exemple 12,50).".into(),
        })?;
        let receipt = clients.partner()?.debit(&qr, &avantage, price)?;
        Ok(Receipt {
            status_label: receipt.status_label().to_owned(),
            receipt,
        })
    })
    .await
}

/// Pushes the outbox (backoff as in the core) and pulls the lists.
#[tauri::command]
pub async fn partner_sync(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<(PushReport, PartnerStatus), AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.partner()?;
        let report = clients.sync_partner(&c)?;
        Ok((report, clients.status(&c)?))
    })
    .await
}

/// Logs the youth in with the core client and syncs once: the card, a
/// credential, the directory and the bons plans then work without network.
#[tauri::command]
pub async fn youth_login(
    state: tauri::State<'_, Arc<Clients>>,
    server_url: String,
    email: String,
    password: String,
) -> Result<HomeScreen, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.youth()?;
        c.login(&server_url, &email, &password)?;
        // One full round: card, credential, directory, bons plans (all of
        // it then works without network).
        c.sync()?;
        Ok(c.home()?)
    })
    .await
}

/// The youth's home from the store (works offline).
#[tauri::command]
pub async fn youth_home(state: tauri::State<'_, Arc<Clients>>) -> Result<HomeScreen, AppError> {
    let clients = state.inner().clone();
    blocking(move || Ok(clients.youth()?.home()?)).await
}

/// The QR to show now, signed by the device key (works offline).
#[tauri::command]
pub async fn youth_qr(state: tauri::State<'_, Arc<Clients>>) -> Result<String, AppError> {
    let clients = state.inner().clone();
    blocking(move || Ok(clients.youth()?.current_qr(SystemClock.now())?)).await
}

/// Refreshes the youth's card, history and credential when online.
#[tauri::command]
pub async fn youth_sync(state: tauri::State<'_, Arc<Clients>>) -> Result<HomeScreen, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.youth()?;
        c.sync()?;
        Ok(c.home()?)
    })
    .await
}

/// The credit avantages the enrolled partner may debit offline this season
/// (the core decides from its built-in catalogue).
#[tauri::command]
pub async fn partner_avantages(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<Vec<OfflineAvantage>, AppError> {
    let clients = state.inner().clone();
    blocking(move || Ok(clients.partner()?.offline_avantages()?)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use passregion_core::credential::LimitError;
    use passregion_core::sync::OfflineError;

    #[test]
    fn a_fresh_store_opens_with_nothing_pending_and_no_device() {
        let dir = std::env::temp_dir().join(format!("pr-app-test-{}", std::process::id()));
        let clients = Clients::with_keyring(dir.clone(), false);
        let c = clients.partner().expect("partner client");
        let s = partner_status(&c).expect("status");
        assert_eq!(s.pending, 0);
        assert!(s.device.is_none());
        assert!(s.store.quarantined.is_none());
        // The device key is kept apart from the store, in a private file here.
        assert!(dir.join("keys").join("partner-device.key").exists());
        // The same client is reused (one store connection per app).
        assert!(Arc::ptr_eq(&c, &clients.partner().expect("again")));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_corrupt_store_is_set_aside_and_the_app_starts_afresh() {
        let dir = std::env::temp_dir().join(format!("pr-app-corrupt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("partner.db"), b"this is not a database").expect("write");
        let clients = Clients::with_keyring(dir.clone(), false);
        let s = partner_status(&clients.partner().expect("opens")).expect("status");
        let moved = s.store.quarantined.expect("quarantined, shown to the user");
        assert!(moved.exists(), "the damaged file is kept for support");
        assert_eq!(s.pending, 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn core_refusals_reach_the_screen_in_french_with_a_stable_code() {
        let e = AppError::from(ClientError::OfflineRefused(OfflineError::Limit(
            LimitError::Count,
        )));
        assert_eq!(e.code, "hors_limites");
        assert!(e.message.contains("nombre d'achats"), "{}", e.message);
        let e = AppError::from(ClientError::Offline);
        assert_eq!(e.code, "hors_ligne");
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["code"], "hors_ligne");
    }
}

//! The app's list and form commands over the core clients: the partner's
//! transactions and reimbursements, the youth's history, credential, bons
//! plans, partner directory and order. Each refreshes from the server when it
//! can and answers from the store otherwise (offline); they only convert and
//! forward.

use std::sync::Arc;

use passregion_core::api::debits::Transaction;
use passregion_core::client::{
    BonPlanItem, ClientError, CredentialInfo, OrderForm, OrderStatus, PartnerHit, PartnerQuery,
    Reimbursements,
};
use passregion_core::PartnerCategory;

use crate::clients::{blocking, AppError, Clients};

/// Offline is not an error for a list: the stored copy is shown.
fn online_or_cached(r: Result<impl Sized, ClientError>) -> Result<(), AppError> {
    match r {
        Ok(_) | Err(ClientError::Offline) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The partner's transactions in the server's shape (oldest first, the last
/// `limit`), refreshed when online.
#[tauri::command]
pub async fn partner_transactions(
    state: tauri::State<'_, Arc<Clients>>,
    limit: Option<usize>,
) -> Result<Vec<Transaction>, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.partner()?;
        online_or_cached(c.refresh_transactions())?;
        Ok(c.stored_transactions(limit.unwrap_or(500).min(5000))?)
    })
    .await
}

/// The partner's reimbursements (batches, amounts carried), if ever fetched.
#[tauri::command]
pub async fn partner_reimbursements(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<Option<Reimbursements>, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.partner()?;
        match c.refresh_reimbursements() {
            Ok(r) => Ok(Some(r)),
            Err(ClientError::Offline) => Ok(c.reimbursements()?),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// The youth's history in the server's shape (oldest first, the last `limit`).
#[tauri::command]
pub async fn youth_history(
    state: tauri::State<'_, Arc<Clients>>,
    limit: Option<usize>,
) -> Result<Vec<Transaction>, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.youth()?;
        online_or_cached(c.refresh())?;
        Ok(c.stored_transactions(limit.unwrap_or(500).min(5000))?)
    })
    .await
}

/// The credential this phone holds (its offline limits and expiry).
#[tauri::command]
pub async fn youth_credential(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<Option<CredentialInfo>, AppError> {
    let clients = state.inner().clone();
    blocking(move || Ok(clients.youth()?.credential()?)).await
}

/// The published bons plans (optionally of one category).
#[tauri::command]
pub async fn youth_bons_plans(
    state: tauri::State<'_, Arc<Clients>>,
    category: Option<PartnerCategory>,
) -> Result<Vec<BonPlanItem>, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.youth()?;
        online_or_cached(c.refresh_bons_plans())?;
        Ok(c.bons_plans(category)?)
    })
    .await
}

/// The partner directory (synced at pull), searched on the phone.
#[tauri::command]
pub async fn youth_partners(
    state: tauri::State<'_, Arc<Clients>>,
    query: Option<PartnerQuery>,
) -> Result<Vec<PartnerHit>, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        Ok(clients
            .youth()?
            .search_partners(&query.unwrap_or_default())?)
    })
    .await
}

/// Orders the PASS (the server checks eligibility and answers in French).
#[tauri::command]
pub async fn youth_order(
    state: tauri::State<'_, Arc<Clients>>,
    form: OrderForm,
) -> Result<OrderStatus, AppError> {
    let clients = state.inner().clone();
    blocking(move || Ok(clients.youth()?.order_pass(&form)?)).await
}

/// The youth's orders.
#[tauri::command]
pub async fn youth_orders(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<Vec<OrderStatus>, AppError> {
    let clients = state.inner().clone();
    blocking(move || Ok(clients.youth()?.orders()?)).await
}

/// The youth's card as the server last sent it (refreshed when online).
#[tauri::command]
pub async fn youth_card(
    state: tauri::State<'_, Arc<Clients>>,
) -> Result<Option<passregion_core::api::cards::CardView>, AppError> {
    let clients = state.inner().clone();
    blocking(move || {
        let c = clients.youth()?;
        online_or_cached(c.refresh())?;
        Ok(c.stored_card()?)
    })
    .await
}

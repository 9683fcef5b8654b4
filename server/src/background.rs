//! Background work: load the avantages of seasons that started, close reimbursement batches, prune.

use chrono::Duration;

use crate::reimbursements::last_boundary;
use crate::state::AppState;

/// Signs the trust list again when due (ADR 0010), or adopts the one another
/// instance signed (ADR 0036): off the async threads, as it may take the
/// database's lock. A failure is logged and shows on `/health` once the
/// list gets stale.
pub async fn renew_trust_list(state: &AppState, now: chrono::DateTime<chrono::Utc>) {
    use crate::platform::keys::Renewal;
    let keys = state.keys.clone();
    match tokio::task::spawn_blocking(move || keys.renew_if_due(now)).await {
        Ok(Ok(Renewal::Signed)) => tracing::info!("trust list signed"),
        Ok(Ok(Renewal::Adopted)) => tracing::info!("trust list adopted (signed elsewhere)"),
        Ok(Ok(Renewal::Unchanged)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "trust list renewal failed"),
        Err(e) => tracing::error!(error = %e, "trust list renewal task failed"),
    }
}

/// Reminds the partners whose convention ends within a month (once per
/// term): a notice in their space, an SMS and an e-mail.
pub async fn renewal_reminders(state: &AppState, now: chrono::DateTime<chrono::Utc>) {
    let store = state.store.clone();
    let due = match crate::platform::run_blocking(move || store.due_renewal_reminders(now)).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "renewal reminders failed");
            return;
        }
    };
    for (partner_id, message) in due {
        crate::partners::region::http::tell(state, partner_id, message, now).await;
    }
}

/// Sends the e-mail notifications waiting in the outbox.
pub async fn send_notifications(state: &AppState, now: chrono::DateTime<chrono::Utc>) {
    let (store, mailer) = (state.store.clone(), state.mailer.clone());
    let res = crate::platform::run_blocking(move || {
        crate::accounts::notify::send_pending(store.as_ref(), mailer.as_ref(), now)
    })
    .await;
    if let Err(e) = res {
        tracing::warn!(error = %e, "notifications not sent");
    }
}

/// Once a minute: renew the trust list when due, load the avantages of seasons that started, and close
/// reimbursement batches on the configured days.
pub(crate) async fn background(state: AppState, days: Vec<u32>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        crate::platform::metrics::upkeep();
        let now = state.clock.now();
        renew_trust_list(&state, now).await;
        renewal_reminders(&state, now).await;
        send_notifications(&state, now).await;
        let store = state.store.clone();
        let days = days.clone();
        let retention = state.retention_years;
        let res = tokio::task::spawn_blocking(move || -> Result<(), crate::error::ServiceError> {
            store.prune(now, Duration::days(30))?;
            let reminders = store.queue_season_end_reminders(now)?;
            if reminders > 0 {
                tracing::info!(reminders, "season end reminders queued");
            }
            let forgotten = store.forget_expired_youths(now, retention)?;
            if forgotten > 0 {
                tracing::info!(forgotten, "personal data removed (retention)");
            }
            let loaded = store.load_due_seasons(now, crate::cards::service::LOADING_BATCH)?;
            if loaded > 0 {
                tracing::info!(loaded, "season avantages loaded");
            }
            if let Some(boundary) = last_boundary(now, &days)
                && store.last_period_end()?.is_none_or(|last| last < boundary)
            {
                let batches = store.close_reimbursements(boundary, now)?;
                if !batches.is_empty() {
                    tracing::info!(count = batches.len(), "reimbursement batches closed");
                }
            }
            Ok(())
        })
        .await;
        if let Ok(Err(e)) = res {
            tracing::warn!(error = %e, "background task failed");
        }
    }
}

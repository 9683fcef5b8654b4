//! Handlers of money out: statements (JSON, CSV, PDF), payment runs and
//! their `pain.001` files, bank statements (camt.054 / camt.053), a batch's
//! payment audit, the accounting journal.

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::Principal;
use crate::accounts::session::{Auth, RegionFinance};
use crate::platform::sql::sha256_hex;
use crate::reimbursements::camt;
use crate::reimbursements::model::{
    JournalQuery, PaymentEvent, PaymentRun, PaymentRunRequest, QueuedBatch, Statement,
    StatementImport,
};
use crate::state::AppState;
use crate::web::extract::{Body, Path, Query, blocking, idempotency, parse_json, stored};
use crate::web::problem::ApiError;

fn download(bytes: Vec<u8>, content_type: &'static str, filename: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The batch id in a file name (a UUID's characters only).
fn safe(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect()
}

async fn statement_of(s: &AppState, p: Principal, id: String) -> Result<Statement, ApiError> {
    let store = s.store.clone();
    blocking(move || store.statement(&p, &id)).await
}

async fn pdf_of(s: &AppState, p: Principal, id: String) -> Result<Response, ApiError> {
    let st = statement_of(s, p, id).await?;
    let name = format!("justificatif-remboursement-{}.pdf", safe(&st.batch.id));
    let bytes = blocking(move || crate::reimbursements::statement_pdf::statement_pdf(&st)).await?;
    Ok(download(bytes, "application/pdf", name))
}

async fn csv_of(s: &AppState, p: Principal, id: String) -> Result<Response, ApiError> {
    let st = statement_of(s, p, id).await?;
    let bytes = crate::reimbursements::statement::csv(&st)?;
    let name = format!("releve-remboursement-{}.csv", safe(&st.batch.id));
    Ok(download(bytes, "text/csv; charset=utf-8", name))
}

/// A batch's statement: its lines, totals per avantage, carried amounts.
/// The partner's own batches only (404 otherwise).
#[utoipa::path(get, path = "/api/partner/reimbursements/{id}/statement", params(("id" = String, Path)),
    responses((status = 200, body = Statement), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn partner_statement(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<Statement>, ApiError> {
    statement_of(&s, p, id).await.map(Json)
}

/// The batch's *justificatif de remboursement* (PDF): the same lines.
#[utoipa::path(get, path = "/api/partner/reimbursements/{id}/statement.pdf", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn partner_statement_pdf(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    pdf_of(&s, p, id).await
}

/// The batch's lines as CSV (`;`, UTF-8 with a BOM).
#[utoipa::path(get, path = "/api/partner/reimbursements/{id}/statement.csv", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn partner_statement_csv(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    csv_of(&s, p, id).await
}

/// Any batch's statement.
#[utoipa::path(get, path = "/api/region/reimbursements/{id}/statement", params(("id" = String, Path)),
    responses((status = 200, body = Statement), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn region_statement(
    State(s): State<AppState>,
    RegionFinance(p): RegionFinance,
    Path(id): Path<String>,
) -> Result<Json<Statement>, ApiError> {
    statement_of(&s, p, id).await.map(Json)
}

/// Any batch's justificatif (PDF).
#[utoipa::path(get, path = "/api/region/reimbursements/{id}/statement.pdf", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn region_statement_pdf(
    State(s): State<AppState>,
    RegionFinance(p): RegionFinance,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    pdf_of(&s, p, id).await
}

/// Any batch's lines as CSV.
#[utoipa::path(get, path = "/api/region/reimbursements/{id}/statement.csv", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn region_statement_csv(
    State(s): State<AppState>,
    RegionFinance(p): RegionFinance,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    csv_of(&s, p, id).await
}

/// A batch's payment audit (append-only): put in a run, paid, rejected,
/// paid by hand; who, when, which reference.
#[utoipa::path(get, path = "/api/region/reimbursements/{id}/payments", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PaymentEvent>)), security(("bearer" = [])))]
pub async fn payment_events(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
    Path(id): Path<String>,
) -> Result<Json<Vec<PaymentEvent>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.payment_events(&id)).await.map(Json)
}

/// Closed batches waiting for payment (`en_cours`), with what blocks them
/// (no IBAN, bank details waiting for approval).
#[utoipa::path(get, path = "/api/region/payment-runs/queue",
    responses((status = 200, body = Vec<QueuedBatch>)), security(("bearer" = [])))]
pub async fn payment_queue(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
) -> Result<Json<Vec<QueuedBatch>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.payment_queue()).await.map(Json)
}

/// Create a payment run from closed batches: one SEPA credit transfer file,
/// one transfer per batch; its batches become `en_cours_de_paiement`.
/// Batches whose partner has no valid IBAN or bank details waiting for
/// approval are left out (`blocked`). Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/region/payment-runs", request_body = PaymentRunRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PaymentRun), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn create_payment_run(
    State(s): State<AppState>,
    RegionFinance(p): RegionFinance,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (req, hash) = parse_json::<PaymentRunRequest>(&headers, &body)?;
    let idem = idempotency(&headers, &p, "payment-run", &hash)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.create_payment_run(&p, req, idem, now))
        .await
        .map(stored)
}

/// The payment runs, newest first (200 at most).
#[utoipa::path(get, path = "/api/region/payment-runs",
    responses((status = 200, body = Vec<PaymentRun>)), security(("bearer" = [])))]
pub async fn payment_runs(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
) -> Result<Json<Vec<PaymentRun>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.payment_runs()).await.map(Json)
}

/// A payment run and its transfers.
#[utoipa::path(get, path = "/api/region/payment-runs/{id}", params(("id" = String, Path)),
    responses((status = 200, body = PaymentRun), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn payment_run(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
    Path(id): Path<String>,
) -> Result<Json<PaymentRun>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.payment_run(&id)).await.map(Json)
}

/// The run's SEPA credit transfer file (`pain.001.001.09`), as produced.
#[utoipa::path(get, path = "/api/region/payment-runs/{id}/pain.001.xml", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/xml"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn payment_run_xml(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = s.store.clone();
    let name = format!("ordre-de-virement-{}.pain.001.xml", safe(&id));
    let xml = blocking(move || store.payment_run_xml(&id)).await?;
    Ok(download(xml.into_bytes(), "application/xml", name))
}

/// Import the bank's statement (camt.054 or camt.053 XML, 4 MiB at most; no
/// DTD, no entity): each transfer matched by its end-to-end id is marked
/// paid (bank reference and date) or, rejected, put back in the queue with
/// its reason. Importing the same statement again changes nothing.
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/region/payment-runs/import",
    request_body(content = Vec<u8>, content_type = "application/xml"),
    params(("Idempotency-Key" = String, Header)),
    responses((status = 200, body = StatementImport), (status = 413, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn import_statement(
    State(s): State<AppState>,
    RegionFinance(p): RegionFinance,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, &p, "bank-statement", &sha256_hex(&body))?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.import_bank_statement(&p, body.to_vec(), idem, now))
        .await
        .map(stored)
}

/// The accounting journal of the days `from` to `to` (Region time, 366 at
/// most): a CSV (`;`, French headers, UTF-8 with a BOM) of balanced entries
/// whose totals reconcile with `/api/region/ledger/check` (`payouts`).
#[utoipa::path(get, path = "/api/region/accounting-journal", params(JournalQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn accounting_journal(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
    Query(q): Query<JournalQuery>,
) -> Result<Response, ApiError> {
    let store = s.store.clone();
    let name = format!("journal-pass-region-{}-{}.csv", q.from, q.to);
    let csv = blocking(move || store.accounting_journal(q.from, q.to)).await?;
    Ok(download(csv.into_bytes(), "text/csv; charset=utf-8", name))
}

/// The routes of money out, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(partner_statement))
        .routes(routes!(partner_statement_pdf))
        .routes(routes!(partner_statement_csv))
        .routes(routes!(region_statement))
        .routes(routes!(region_statement_pdf))
        .routes(routes!(region_statement_csv))
        .routes(routes!(payment_events))
        .routes(routes!(payment_queue))
        .routes(routes!(create_payment_run, payment_runs))
        .routes(routes!(payment_run))
        .routes(routes!(payment_run_xml))
        .routes(routes!(accounting_journal))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_statement))
                .layer(DefaultBodyLimit::max(camt::MAX_BYTES)),
        )
}

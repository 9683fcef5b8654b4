//! Partners: the public directory, applications and the convention.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::application::{ApplicationStage, DocumentKind, Standing};
use crate::public::PartnerCategory;

/// A partner in the public directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Partner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude (WGS84).
    pub latitude: f64,
    /// Longitude (WGS84).
    pub longitude: f64,
}

/// `POST /api/partners/applications`: a structure starts its application
/// (public). The answer is the same whether the e-mail is free or not
/// (`RegisterResponse`); the link sent by e-mail opens the draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationStart {
    /// Name of the structure (raison sociale).
    pub name: String,
    /// Kind of partnership.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "librairie"))]
    pub category: PartnerCategory,
    /// Contact person.
    pub contact_name: String,
    /// Login e-mail of the partner space.
    pub email: String,
    /// Password of the partner space.
    pub password: String,
}

/// `PUT /api/partner/application`: the draft's fields; each one given is
/// checked and saved, the others keep their value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationDraft {
    /// Name of the structure (raison sociale).
    pub name: Option<String>,
    /// Kind of partnership.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub category: Option<PartnerCategory>,
    /// SIRET (14 digits, checked by its key).
    pub siret: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Latitude (WGS84) of the pin on the map.
    pub latitude: Option<f64>,
    /// Longitude (WGS84).
    pub longitude: Option<f64>,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Mobile phone that receives the signature code.
    pub phone: Option<String>,
    /// IBAN of the account reimbursements are paid to.
    pub iban: Option<String>,
    /// BIC of that account.
    pub bic: Option<String>,
}

/// A document of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationDocument {
    /// Id (to view or remove it).
    pub id: String,
    /// What it is.
    pub kind: DocumentKind,
    /// What it is, in words.
    pub label: String,
    /// The name it was uploaded with.
    pub filename: String,
    /// `application/pdf`, `image/jpeg` or `image/png` (from its content).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of its content (hex).
    pub sha256: String,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

/// A document the Region asks for, and whether it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequiredDocument {
    /// What it is.
    pub kind: DocumentKind,
    /// What it is, in words.
    pub label: String,
    /// Whether the application holds one.
    pub provided: bool,
}

/// A convention shown to the partner, signed or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConventionView {
    /// Id.
    pub id: String,
    /// The CGP version it carries.
    pub cgp_version: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (its term).
    pub ends_on: NaiveDate,
    /// SHA-256 of the PDF shown before signing.
    pub document_sha256: String,
    /// When it was signed with the SMS code.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub signed_at: Option<DateTime<Utc>>,
    /// The phone the code went to (masked).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub signed_phone: Option<String>,
    /// Wrong codes typed before the signature.
    pub signature_attempts: u32,
    /// Signed outside the platform and imported from the Region's previous
    /// system (`import-partners`, issue 16): no SMS signature.
    #[serde(default)]
    pub migrated: bool,
}

/// A message of the Region to the partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerNotice {
    /// The message.
    pub message: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `GET /api/partner/application`: the application as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    /// Partner id.
    pub partner_id: String,
    /// Where the application stands.
    pub stage: ApplicationStage,
    /// Whether the convention is in force today.
    pub standing: Standing,
    /// Name of the structure.
    pub name: String,
    /// Kind of partnership.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// SIRET.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub siret: Option<String>,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude of the pin.
    pub latitude: f64,
    /// Longitude of the pin.
    pub longitude: f64,
    /// Contact person.
    pub contact_name: String,
    /// The mobile phone for codes (masked).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub phone: Option<String>,
    /// The IBAN (masked).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub iban: Option<String>,
    /// The BIC.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub bic: Option<String>,
    /// The documents given.
    pub documents: Vec<ApplicationDocument>,
    /// The documents asked for the category.
    pub required_documents: Vec<RequiredDocument>,
    /// What must still be done before sending, in words.
    pub missing: Vec<String>,
    /// The CGP version accepted, if any.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub cgp_accepted_version: Option<String>,
    /// The newest convention (to sign, or signed).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub convention: Option<ConventionView>,
    /// The Region's reason, when refused.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decision_reason: Option<String>,
    /// Why the Region suspended the partner, while suspended.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub suspension_reason: Option<String>,
    /// First day without the convention, once terminated.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub terminates_on: Option<NaiveDate>,
    /// Why it was terminated.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub termination_reason: Option<String>,
    /// The convention ends within a month (or a new CGP model is out):
    /// time to sign the new one.
    pub renewal_due: bool,
    /// The Region's messages, newest first.
    pub notices: Vec<PartnerNotice>,
}

/// `GET /api/cgp`: the current Conditions Générales de Partenariat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cgp {
    /// Version (e.g. `2026-06`).
    pub version: String,
    /// Title.
    pub title: String,
    /// The text (paragraphs separated by blank lines).
    pub body: String,
    /// The last day of a convention signed under this version.
    pub convention_ends_on: NaiveDate,
}

/// `POST /api/partner/application/submit`: send the application, accepting
/// the CGP version read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitApplication {
    /// The CGP version shown and accepted (must be the current one).
    pub cgp_version: String,
}

/// Answer to a submission or a renewal: the convention to sign was made and
/// the code sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConventionToSign {
    /// The application.
    pub application: ApplicationView,
    /// Where the code went (masked).
    pub code_sent_to: String,
}

/// `POST /api/region/partners/{id}/terminate` and
/// `POST /api/partner/convention/terminate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// Why.
    pub reason: String,
    /// First day without the convention (today or later).
    pub effective_on: NaiveDate,
}

/// `POST /api/region/partners/{id}/suspend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Suspension {
    /// Why (told to the partner).
    pub reason: String,
}

/// `GET /api/region/partners/{id}`: a partner's record for the Region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionPartnerRecord {
    /// The application and convention.
    pub application: ApplicationView,
    /// The manager's e-mail.
    pub email: String,
    /// The whole IBAN (the Region's view).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub iban: Option<String>,
    /// The SIRET's key is right.
    pub siret_valid: bool,
    /// The IBAN's format and key are right.
    pub iban_valid: bool,
    /// The BIC is well formed and of the IBAN's country.
    pub bic_valid: bool,
    /// Bons plans published this season.
    pub bons_plans_this_season: u32,
    /// The convention's yearly minimum.
    pub bons_plans_minimum: u32,
    /// The partner's last debit.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// Answer to `POST /api/partner/convention/code`: a new code was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Where the code went (masked).
    pub code_sent_to: String,
}

/// `POST /api/partner/convention/sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The six-digit code received by SMS.
    pub code: String,
}

/// The partner's application as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerStatus {
    /// Partner id.
    pub partner_id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// `pending`, `validated`, `rejected` or `terminated`.
    pub status: String,
    /// Where the application stands.
    pub stage: ApplicationStage,
    /// Whether the convention is in force today.
    pub standing: Standing,
    /// The last day of the signed convention.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub convention_ends_on: Option<NaiveDate>,
    /// The partner's last debit.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub last_activity_at: Option<DateTime<Utc>>,
    /// When the convention was signed (by SMS code).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub convention_signed_at: Option<DateTime<Utc>>,
    /// The Region's note on its decision.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decision_reason: Option<String>,
    /// Bons plans published (validated) this season.
    pub bons_plans_this_season: u32,
    /// Whether the convention's yearly minimum of bons plans is met.
    pub meets_bons_plans_minimum: bool,
}

/// `POST /api/region/partners/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerDecision {
    /// Validate (the partner may accept the PASS) or refuse.
    pub validate: bool,
    /// Required when refusing.
    pub reason: Option<String>,
}

/// `POST /api/partner/bank-details`: the manager asks to change the bank
/// details; a code goes by SMS to the phone on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BankChangeRequest {
    /// The new IBAN.
    pub iban: String,
    /// The new BIC.
    pub bic: String,
}

/// `POST /api/region/bank-changes/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BankChangeDecision {
    /// Approve (the new details are used for the next payouts) or refuse.
    pub approve: bool,
    /// Required when refusing (told to the partner).
    pub reason: Option<String>,
}

/// A change of bank details and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankChange {
    /// Id.
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// Its name.
    pub partner_name: String,
    /// The new IBAN (masked for the partner, whole for the Region).
    pub iban: String,
    /// The new BIC.
    pub bic: String,
    /// The IBAN in use until approval (masked for the partner, whole for the Region).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub current_iban: Option<String>,
    /// Asked at.
    pub created_at: DateTime<Utc>,
    /// Confirmed with the SMS code at (then waiting for the Region).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// `approuvee`, `refusee` or `remplacee` once decided.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decision: Option<String>,
    /// The Region's reason when refused.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
    /// Where the code went (masked).
    pub code_sent_to: String,
}

//! The statuses of the things the server keeps (orders, reimbursement batches,
//! bons plans, partner conventions, offline debits, collective bookings, partner,
//! établissement and Region staff, référent requests, card history, bulk actions):
//! one enum each, with one
//! string mapping (`as_str` / `parse`, the same strings in the database and
//! on the wire). The card's status is [`crate::card::CardStatus`].

use serde::{Deserialize, Serialize};

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        // By hand: the derive does not see the `serde(rename)` of a macro's
        // literal, and the wire strings are what the schema must list.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            /// Every status.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and transmitted string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The status of a stored or transmitted string.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum! {
    /// A youth's order of the PASS.
    OrderStatus {
        /// Waiting for the établissement.
        Pending = "en_attente",
        /// Validated: the card is issued.
        Validated = "validee",
        /// Refused, with a reason.
        Refused = "refusee",
    }
}

status_enum! {
    /// A reimbursement batch of a partner.
    BatchStatus {
        /// Closed, to be paid: in the payment queue (again, with the reason,
        /// after a transfer the bank rejected).
        InProgress = "en_cours",
        /// In a payment run (*ordre de virement*) sent to the bank, waiting
        /// for its confirmation (ADR 0030).
        PaymentInProgress = "en_cours_de_paiement",
        /// Paid: confirmed by the bank's statement, or marked paid by hand
        /// with the bank's reference.
        Paid = "rembourse",
        /// Settled by offsetting (*soldé par compensation*): refunds carried
        /// from earlier batches absorbed it, nothing is paid; what was left
        /// owing is carried to the partner's next batch.
        Offset = "compense",
    }
}

status_enum! {
    /// Where a transaction stands for the partner's reimbursement.
    ReimbursementStatus {
        /// Not yet in a batch.
        Pending = "en_attente",
        /// In a closed batch, not yet paid.
        InProgress = "en_cours_de_remboursement",
        /// Paid.
        Paid = "rembourse",
        /// In a batch settled by offsetting: deducted from what the partner
        /// owed, nothing paid.
        Offset = "compense",
    }
}

impl ReimbursementStatus {
    /// The status of a transaction in a batch of `batch` status (none: not
    /// yet batched).
    pub fn of_batch(batch: Option<BatchStatus>) -> ReimbursementStatus {
        match batch {
            None => ReimbursementStatus::Pending,
            Some(BatchStatus::InProgress | BatchStatus::PaymentInProgress) => {
                ReimbursementStatus::InProgress
            }
            Some(BatchStatus::Paid) => ReimbursementStatus::Paid,
            Some(BatchStatus::Offset) => ReimbursementStatus::Offset,
        }
    }
}

status_enum! {
    /// A batch's transfer in a payment run (ADR 0030).
    TransferStatus {
        /// In the SEPA file given to the bank, not yet confirmed.
        Sent = "envoye",
        /// Booked by the bank (camt statement), or marked paid by hand.
        Paid = "paye",
        /// Rejected or returned by the bank: the batch is back in the queue.
        Rejected = "rejete",
    }
}

status_enum! {
    /// What the import of a bank statement (camt.054 / camt.053) did with
    /// one of its transfers.
    StatementEntryResult {
        /// Matched by its end-to-end id: the batch is paid.
        Paid = "paye",
        /// Rejected or returned (e.g. `AC01`): the batch is back in the queue.
        Rejected = "rejete",
        /// Already settled by an earlier import or by hand: nothing changed.
        AlreadySettled = "deja_traite",
        /// No batch in a payment run has this end-to-end id.
        Unknown = "non_rapproche",
        /// The amount differs from the transfer's: nothing changed.
        AmountMismatch = "montant_different",
        /// Not booked yet (pending), or not an outgoing transfer.
        Ignored = "ignore",
    }
}

status_enum! {
    /// A bon plan submitted by a partner.
    BonPlanStatus {
        /// Waiting for the Region's moderation.
        Submitted = "soumis",
        /// Published.
        Published = "valide",
        /// Refused, with a reason.
        Refused = "refuse",
    }
}

status_enum! {
    /// A partner's convention with the Region.
    ConventionStatus {
        /// Applied, being signed or examined.
        Pending = "pending",
        /// In force: the partner may debit.
        Validated = "validated",
        /// Refused by the Region.
        Rejected = "rejected",
        /// Ended.
        Terminated = "terminated",
    }
}

status_enum! {
    /// Where an offline debit stands in a partner device's outbox.
    OutboxState {
        /// Waiting to be pushed (or pushed, with no answer yet).
        Pending = "pending",
        /// Acknowledged by the server (applied now or earlier).
        Synced = "synced",
        /// Refused by the server, with its reason.
        Refused = "refused",
    }
}

status_enum! {
    /// What the server did with an offline debit pushed by a partner device.
    OfflineDebitStatus {
        /// Applied to the ledger.
        Applied = "applied",
        /// Its QR (credential, counter) had already served.
        Reused = "reused",
        /// Refused (signature, chain, limits…).
        Rejected = "rejected",
    }
}

status_enum! {
    /// A collective booking requested by an établissement from a partner
    /// (FAQ §14): nothing is debited until the partner confirms the service.
    CollectiveBookingStatus {
        /// Requested by the établissement, waiting for the partner.
        Requested = "demandee",
        /// Confirmed by the partner: the youths' avantages were debited.
        Confirmed = "confirmee",
        /// Declined by the partner.
        Declined = "refusee",
        /// Not confirmed by the end of the service day (Region time).
        Expired = "expiree",
        /// Cancelled by the établissement before the partner's answer.
        Cancelled = "annulee",
    }
}

status_enum! {
    /// What a partner's staff account may do (issue 13): the manager
    /// (*responsable*) runs the structure's space; a cashier (*caissier*)
    /// cashes in only.
    PartnerRole {
        /// Invites and removes staff, revokes devices, submits bons plans,
        /// edits the profile and bank details; and cashes in.
        Manager = "manager",
        /// Debits, refunds, scans, sees transactions.
        Cashier = "cashier",
    }
}

impl PartnerRole {
    /// The French word shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            PartnerRole::Manager => "responsable",
            PartnerRole::Cashier => "caissier",
        }
    }
}

status_enum! {
    /// Where a partner's staff account stands.
    StaffStatus {
        /// Invited: the link mailed to it has not been followed yet.
        Invited = "invited",
        /// The invitation was accepted (or the account signed the convention).
        Active = "active",
    }
}

status_enum! {
    /// What an établissement's staff account may do (issue 14): the head
    /// (*chef d'établissement*) invites and removes colleagues; the staff
    /// (*personnel*) handle orders and cards.
    EstablishmentRole {
        /// Invites and removes the établissement's staff; and does the rest.
        Head = "head",
        /// Validates orders, suspends, reactivates and revalidates cards.
        Staff = "staff",
    }
}

impl EstablishmentRole {
    /// The French words shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            EstablishmentRole::Head => "chef d'établissement",
            EstablishmentRole::Staff => "personnel de l'établissement",
        }
    }
}

status_enum! {
    /// What an agent of the Region may do (issue 16): the administration
    /// (*administration*: everything, and the Region's staff), the
    /// instruction (*instruction*: partners, bons plans, établissements,
    /// cards, print queue, fraud desk) or the finances (*finances*:
    /// reimbursements, payments, journal, bank details).
    RegionRole {
        /// Every desk of the Region, and its staff.
        Admin = "admin",
        /// Partners, CGP, bons plans, établissements, card look-up, print
        /// queue, fraud desk.
        Instruction = "instruction",
        /// Reimbursements, payment runs, bank statements, manual payments,
        /// the journal, statements, bank-detail changes.
        Finance = "finance",
    }
}

impl RegionRole {
    /// The French word shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            RegionRole::Admin => "Administration",
            RegionRole::Instruction => "Instruction",
            RegionRole::Finance => "Finances",
        }
    }
}

status_enum! {
    /// A partner's request for a référent's contact (issue 14, ADR 0027):
    /// the e-mail and phone are shared only while the request is granted.
    ReferentRequestStatus {
        /// Sent by the partner, waiting for the référent's établissement.
        Requested = "demandee",
        /// Granted by the établissement: the partner sees the contact.
        Granted = "accordee",
        /// Declined by the établissement.
        Declined = "refusee",
        /// Granted, then withdrawn by the établissement: the contact is
        /// hidden again.
        Withdrawn = "retiree",
    }
}

impl ReferentRequestStatus {
    /// The French word shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            ReferentRequestStatus::Requested => "en attente de l'établissement",
            ReferentRequestStatus::Granted => "accordée",
            ReferentRequestStatus::Declined => "refusée",
            ReferentRequestStatus::Withdrawn => "retirée par l'établissement",
        }
    }
}

status_enum! {
    /// A change in a card's history (`card_status_events`), by its
    /// établissement.
    CardEventKind {
        /// Suspended, with a reason.
        Suspension = "suspension",
        /// The suspension lifted.
        Reactivation = "reactivation",
        /// Moved to a new season.
        Revalidation = "revalidation",
        /// Declared lost or stolen: a new number, posted (issue 16).
        Replacement = "replacement",
    }
}

status_enum! {
    /// What a bulk action did with one of its items.
    BulkItemStatus {
        /// Done (validated, refused as asked, revalidated).
        Done = "done",
        /// Not done, with the French reason.
        Refused = "refused",
    }
}

impl CollectiveBookingStatus {
    /// The French word shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            CollectiveBookingStatus::Requested => "en attente du partenaire",
            CollectiveBookingStatus::Confirmed => "confirmée",
            CollectiveBookingStatus::Declined => "refusée par le partenaire",
            CollectiveBookingStatus::Expired => "expirée",
            CollectiveBookingStatus::Cancelled => "annulée",
        }
    }
}

status_enum! {
    /// The Region's decision on a change of a partner's bank details.
    BankChangeDecisionStatus {
        /// The new details are used from the next payout.
        Approved = "approuvee",
        /// Refused, with a reason.
        Refused = "refusee",
        /// Replaced by a newer request before it was decided.
        Replaced = "remplacee",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Copy + PartialEq + std::fmt::Debug + Serialize>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for &s in all {
            assert_eq!(parse(as_str(s)), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", as_str(s))
            );
        }
        assert_eq!(parse("inconnu"), None);
    }

    #[test]
    fn one_string_per_status_both_ways() {
        round_trip(OrderStatus::ALL, OrderStatus::as_str, OrderStatus::parse);
        round_trip(BatchStatus::ALL, BatchStatus::as_str, BatchStatus::parse);
        round_trip(
            ReimbursementStatus::ALL,
            ReimbursementStatus::as_str,
            ReimbursementStatus::parse,
        );
        round_trip(
            BonPlanStatus::ALL,
            BonPlanStatus::as_str,
            BonPlanStatus::parse,
        );
        round_trip(
            ConventionStatus::ALL,
            ConventionStatus::as_str,
            ConventionStatus::parse,
        );
        round_trip(OutboxState::ALL, OutboxState::as_str, OutboxState::parse);
        round_trip(
            OfflineDebitStatus::ALL,
            OfflineDebitStatus::as_str,
            OfflineDebitStatus::parse,
        );
        round_trip(
            CollectiveBookingStatus::ALL,
            CollectiveBookingStatus::as_str,
            CollectiveBookingStatus::parse,
        );
        round_trip(
            TransferStatus::ALL,
            TransferStatus::as_str,
            TransferStatus::parse,
        );
        round_trip(
            StatementEntryResult::ALL,
            StatementEntryResult::as_str,
            StatementEntryResult::parse,
        );
        assert_eq!(
            ReimbursementStatus::of_batch(Some(BatchStatus::PaymentInProgress)),
            ReimbursementStatus::InProgress
        );
        round_trip(PartnerRole::ALL, PartnerRole::as_str, PartnerRole::parse);
        round_trip(StaffStatus::ALL, StaffStatus::as_str, StaffStatus::parse);
        round_trip(
            EstablishmentRole::ALL,
            EstablishmentRole::as_str,
            EstablishmentRole::parse,
        );
        round_trip(RegionRole::ALL, RegionRole::as_str, RegionRole::parse);
        round_trip(
            CardEventKind::ALL,
            CardEventKind::as_str,
            CardEventKind::parse,
        );
        round_trip(
            BulkItemStatus::ALL,
            BulkItemStatus::as_str,
            BulkItemStatus::parse,
        );
        round_trip(
            ReferentRequestStatus::ALL,
            ReferentRequestStatus::as_str,
            ReferentRequestStatus::parse,
        );
        assert_eq!(
            ReimbursementStatus::of_batch(Some(BatchStatus::Paid)),
            ReimbursementStatus::Paid
        );
        assert_eq!(ReimbursementStatus::of_batch(None).as_str(), "en_attente");
    }
}

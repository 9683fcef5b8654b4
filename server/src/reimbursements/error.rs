//! Errors of reimbursements: payment runs, bank statements, manual payments.

/// Why a bank statement (camt.054 / camt.053) was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Larger than the bound.
    #[error("statement too large")]
    TooLarge {
        /// The bound, in bytes.
        max_bytes: usize,
    },
    /// Not UTF-8 text.
    #[error("statement not UTF-8")]
    NotUtf8,
    /// A document type declaration (DTD): entities, external or not, are
    /// never expanded.
    #[error("DTD refused")]
    Dtd,
    /// An entity reference other than the five of XML and character references.
    #[error("entity reference refused")]
    Entity,
    /// Nested deeper than the bound.
    #[error("statement nested too deep")]
    TooDeep,
    /// More transfers than the bound.
    #[error("too many entries")]
    TooManyEntries,
    /// Not well-formed XML (the position, in bytes).
    #[error("malformed XML at byte {0}")]
    Malformed(u64),
    /// Well-formed, but no camt.054 / camt.053 message.
    #[error("not a camt.054 or camt.053 message")]
    NotCamt,
    /// An amount that is not a decimal of at most two significant decimals,
    /// or not in euros.
    #[error("bad amount")]
    BadAmount,
}

/// Errors of reimbursements. Wrapped by [`crate::error::ServiceError`],
/// mapped to the public problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum ReimbursementsError {
    /// `--debtor-iban`, `--debtor-bic` and `--debtor-name` are not set.
    #[error("no debtor account configured")]
    NoDebtorAccount,
    /// The batch is already in a payment run sent to the bank.
    #[error("batch already in a payment run")]
    AlreadyInRun {
        /// The batch.
        batch_id: String,
    },
    /// The batch is already paid.
    #[error("batch already paid")]
    AlreadyPaid {
        /// The batch.
        batch_id: String,
    },
    /// The batch has nothing to pay (settled by offsetting).
    #[error("nothing to pay")]
    NothingToPay {
        /// The batch.
        batch_id: String,
    },
    /// None of the batches asked for can be paid now (their reasons).
    #[error("no payable batch")]
    NoPayableBatch(Vec<String>),
    /// The bank statement was refused.
    #[error(transparent)]
    Statement(#[from] StatementError),
}

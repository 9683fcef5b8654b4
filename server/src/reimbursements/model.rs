//! Request and response types of reimbursements: shared with the clients, defined in
//! [`passregion_core::api::reimbursements`].

pub use passregion_core::api::reimbursements::*;

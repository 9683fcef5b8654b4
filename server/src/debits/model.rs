//! Request and response types of debits: shared with the clients, defined in
//! [`passregion_core::api::debits`].

pub use passregion_core::api::debits::*;

//! Request and response types of orders, cards and credentials: shared with the clients, defined in
//! [`passregion_core::api::cards`].

pub use passregion_core::api::cards::*;
pub use passregion_core::api::desk::{CardFilter, OrderFilter};

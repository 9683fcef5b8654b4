//! Request and response types of the Region's views: shared with the clients, defined in
//! [`passregion_core::api::region`].

pub use passregion_core::api::region::*;

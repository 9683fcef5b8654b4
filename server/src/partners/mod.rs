//! Partners: the online application, the convention signed with an SMS code, the Region's decision, the directory.

pub mod http;
pub mod model;
pub mod repo;
pub mod sms;

//! Partners: the online application, the convention signed with an SMS code, the Region's decision, the directory, the structure's staff and devices.

pub mod application;
pub mod application_pg;
pub mod application_repo;
pub mod bank;
pub mod cgp;
pub mod convention;
pub mod convention_pdf;
pub mod documents;
pub mod error;
pub mod http;
pub mod import;
pub mod import_repo;
pub mod import_repo_pg;
pub mod model;
pub mod region;
pub mod repo;
pub mod repo_pg;
pub mod rows;
pub mod service;
pub mod sms;
pub mod staff;
pub mod store;
pub mod store_pg;
pub mod store_rules;

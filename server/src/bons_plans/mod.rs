//! Bons plans: partners submit them, the Region moderates, youths read the published ones.

pub mod http;
pub mod model;
pub mod repo;
pub mod repo_pg;
pub mod service;

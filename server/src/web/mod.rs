//! HTTP plumbing with no domain knowledge: extractors, the problem+json error body, failure limits.

pub mod extract;
pub mod limits;
pub mod metrics;
pub mod problem;

//! The Region's side of partners: instruction, decisions, suspension, termination, CGP versions.

pub mod http;

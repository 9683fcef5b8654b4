//! Documents and convention PDFs: uploads, viewing by the applicant and the Region.

pub mod http;

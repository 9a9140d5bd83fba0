//! pacts: an HTTP API over which states belong to which security pacts in and around
//! Central Asia, and since when. `http::app` builds the router; `db` holds all SQL.

pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod model;
pub mod openapi;
pub mod serve;
pub mod validate;

pub use http::{Options, app, app_with};

//! pacts: an HTTP API over which states belong to which security pacts in and around
//! Central Asia, and since when.
//!
//! Layers, one way: `http` (router, extractors, handlers, problem+json) → `db` (all SQL,
//! the only code that knows there are two backends) → the database. `input` turns bodies
//! and keys into typed values; `model` describes every collection once. See
//! `docs/ARCHITECTURE.md`.

pub mod cli;
pub mod config;
pub mod db;
pub mod facts;
pub mod http;
pub mod input;
pub mod model;
pub mod serve;
pub mod telemetry;

pub use http::{Options, app, app_with};

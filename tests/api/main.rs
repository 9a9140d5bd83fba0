//! The HTTP suite. Every case runs on SQLite, each on its own temporary file, and again
//! on PostgreSQL when `TEST_DATABASE_URL` is set, each in its own fresh schema. Without
//! the variable the PostgreSQL cases are listed as ignored (never as passed) and a notice
//! says why.

mod auth;
mod cli;
mod crud;
mod differential;
mod harness;
mod layers;
mod lists;
mod ops;
mod pg_only;
mod queries;
mod questions;
mod releases;
mod reliability;
mod seed;
mod server;
mod timeline;
mod validation;

use harness::{Backend, Case};
use libtest_mimic::{Arguments, Trial};

fn main() {
    pacts::telemetry::init_for_tests();
    let args = Arguments::from_args();
    let pg = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let mut cases: Vec<Case> = Vec::new();
    cases.extend(seed::cases());
    cases.extend(crud::cases());
    cases.extend(validation::cases());
    cases.extend(auth::cases());
    cases.extend(ops::cases());
    cases.extend(queries::cases());
    cases.extend(questions::cases());
    cases.extend(differential::cases());
    cases.extend(reliability::cases());
    cases.extend(layers::cases());
    cases.extend(timeline::cases());
    cases.extend(lists::cases());
    cases.extend(releases::cases());

    let mut trials = Vec::new();
    for case in &cases {
        let (name, f) = (case.name, case.run);
        // Cases about releases load an earlier release themselves.
        let seed = !name.starts_with("release_");
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            harness::run(Backend::Sqlite, f, seed)
        }));
        let pg_url = pg.clone();
        let t = Trial::test(format!("postgres::{name}"), move || match pg_url {
            Some(url) => harness::run(Backend::Postgres(url), f, seed),
            None => Err("TEST_DATABASE_URL is not set".into()),
        });
        trials.push(if pg.is_none() {
            t.with_ignored_flag(true)
        } else {
            t
        });
    }
    trials.extend(cli::trials());
    trials.extend(server::trials());
    trials.push(server::scale_out_trial(pg.clone()));
    trials.extend(pg_only::trials(pg.clone()));
    trials.extend(harness::static_trials());
    trials.push(layers::log_trial());

    if pg.is_none() {
        eprintln!(
            "notice: TEST_DATABASE_URL is not set, so the {} PostgreSQL cases are ignored (not passed). \
             Set it to a PostgreSQL URL (for example postgres://postgres@127.0.0.1:5432/test) to run them.",
            cases.len()
        );
    }
    libtest_mimic::run(&args, trials).exit();
}

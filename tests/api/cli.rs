//! The command line: configuration errors exit 2 with one line; tokens; check; seed.

use std::process::Command;

use libtest_mimic::{Failed, Trial};

fn pacts() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pacts"));
    c.env_remove("DATABASE_URL")
        .env_remove("PACTS_BIND")
        .env("PACTS_LOG", "warn");
    c
}

fn check(cond: bool, msg: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(Failed::from(msg.into()))
    }
}

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("cli::bad_configuration_exits_2_with_one_line", || {
            for args in [
                vec!["--bind", "not-an-address", "migrate"],
                vec!["--database-url", "mysql://localhost/x", "migrate"],
                vec!["--database-url", "pacts.db", "migrate"],
                vec!["--log", "[[[", "migrate"],
                vec!["--log-format", "xml", "migrate"],
                vec!["--cors-origins", "not an origin", "migrate"],
                vec![
                    "--cors-origins",
                    "https://ok.example,https://bad.example/path",
                    "migrate",
                ],
                vec!["frobnicate"],
            ] {
                let out = pacts().args(&args).output().map_err(|e| e.to_string())?;
                check(
                    out.status.code() == Some(2),
                    format!("{args:?}: exit {:?}", out.status.code()),
                )?;
                let err = String::from_utf8_lossy(&out.stderr);
                let lines = err.lines().filter(|l| !l.trim().is_empty()).count();
                check(lines >= 1, format!("{args:?}: nothing on stderr"))?;
                if !args.contains(&"--log-format") && args != ["frobnicate"] {
                    check(
                        lines == 1,
                        format!("{args:?}: one line expected, got {err}"),
                    )?;
                }
            }
            Ok(())
        }),
        Trial::test("cli::tokens_are_created_listed_and_revoked", || {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let url = format!("sqlite://{}", dir.path().join("t.db").display());
            let out = pacts()
                .args(["--database-url", &url, "token", "create", "ci"])
                .output()
                .map_err(|e| e.to_string())?;
            check(
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )?;
            let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
            check(
                token.starts_with("pacts_") && token.len() > 40,
                format!("token {token:?}"),
            )?;
            let again = pacts()
                .args(["--database-url", &url, "token", "create", "ci"])
                .output()
                .map_err(|e| e.to_string())?;
            check(!again.status.success(), "a second token with the same name")?;
            let list = pacts()
                .args(["--database-url", &url, "token", "list"])
                .output()
                .map_err(|e| e.to_string())?;
            let listed = String::from_utf8_lossy(&list.stdout).to_string();
            check(
                listed.contains("ci") && listed.contains("active") && !listed.contains(&token),
                listed.clone(),
            )?;
            let rev = pacts()
                .args(["--database-url", &url, "token", "revoke", "ci"])
                .output()
                .map_err(|e| e.to_string())?;
            check(rev.status.success(), "revoke")?;
            let list = pacts()
                .args(["--database-url", &url, "token", "list"])
                .output()
                .map_err(|e| e.to_string())?;
            check(
                String::from_utf8_lossy(&list.stdout).contains("revoked"),
                "revoked in list",
            )?;
            Ok(())
        }),
        Trial::test("cli::seed_then_check_prints_the_counts", || {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let url = format!("sqlite://{}", dir.path().join("c.db").display());
            for _ in 0..2 {
                let out = pacts()
                    .args(["--database-url", &url, "seed"])
                    .output()
                    .map_err(|e| e.to_string())?;
                check(
                    out.status.success(),
                    String::from_utf8_lossy(&out.stderr).to_string(),
                )?;
            }
            let out = pacts()
                .args(["--database-url", &url, "check"])
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            check(out.status.success(), text.clone())?;
            for (name, n) in [
                ("states", 88),
                ("memberships", 364),
                ("agreement-parties", 195),
                ("sources", 255),
            ] {
                check(
                    text.lines().any(|l| {
                        l.split_whitespace().collect::<Vec<_>>() == [name, &n.to_string()]
                    }),
                    format!("{name} {n} in {text}"),
                )?;
            }
            Ok(())
        }),
        Trial::test("cli::each_subcommand_shows_only_its_own_options", || {
            let help = |args: &[&str]| -> Result<String, Failed> {
                let out = pacts().args(args).output().map_err(|e| e.to_string())?;
                check(out.status.success(), format!("{args:?}"))?;
                Ok(String::from_utf8_lossy(&out.stdout).to_string())
            };
            let migrate = help(&["migrate", "--help"])?;
            check(migrate.contains("--database-url"), migrate.clone())?;
            for server_only in [
                "--bind",
                "--cors-origins",
                "--trusted-proxies",
                "--auth-failure-limit",
            ] {
                check(
                    !migrate.contains(server_only),
                    format!("migrate --help shows {server_only}"),
                )?;
            }
            let serve = help(&["serve", "--help"])?;
            for opt in [
                "--bind",
                "--cors-origins",
                "--trusted-proxies",
                "--database-url",
            ] {
                check(serve.contains(opt), format!("serve --help lacks {opt}"))?;
            }
            Ok(())
        }),
        Trial::test("cli::a_busy_port_is_named", || {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            let addr = taken.local_addr().map_err(|e| e.to_string())?.to_string();
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let url = format!("sqlite://{}", dir.path().join("b.db").display());
            let out = pacts()
                .args(["--database-url", &url, "serve", "--bind", &addr])
                .output()
                .map_err(|e| e.to_string())?;
            let err = String::from_utf8_lossy(&out.stderr).to_string();
            check(!out.status.success(), "serve on a busy port must fail")?;
            check(
                err.contains(&format!("cannot listen on {addr}")),
                format!("the error names {addr}: {err}"),
            )?;
            Ok(())
        }),
    ]
}

//! The SQL `svcgen add-event` writes for a consumed event, run against a real PostgreSQL: event
//! fields named like SQL keywords (`order`, `user`, `select`, ...) must still make a table and
//! an upsert PostgreSQL accepts.
//!
//! Needs `psql` and the PostgreSQL of `SVCGEN_TEST_DATABASE_URL` (default: the local one, user
//! `postgres`, trust auth, as `.ci/ensure-services.sh` starts it). Each test makes a database of
//! its own and drops it.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as BinCommand;

/// PostgreSQL reserved words, each a valid snake_case, non-Rust-keyword field name.
const KEYWORD_FIELDS: &[&str] = &[
    "order:i64",
    "user:string",
    "select:text",
    "group:string",
    "table:i32",
    "from:uuid",
    "limit:i64",
];

fn svcgen() -> BinCommand {
    let mut cmd = BinCommand::cargo_bin("svcgen").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("svcgen-test-cache"),
    );
    cmd
}

fn server_url() -> String {
    std::env::var("SVCGEN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// Runs `sql` with psql in `database`, stopping at the first error; its output, or the error.
fn psql(database: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .arg(format!("{}/{database}", server_url()))
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .map_err(|err| format!("cannot run psql (is it installed?): {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A database of its own, dropped with this value.
struct Database(String);

impl Database {
    fn create() -> Self {
        let name = format!("svcgen_event_sql_{}", std::process::id());
        psql(
            "postgres",
            &format!("drop database if exists {name} with (force)"),
        )
        .and_then(|_| psql("postgres", &format!("create database {name}")))
        .unwrap_or_else(|err| {
            panic!(
                "cannot create a test database on {} (is PostgreSQL running?): {err}",
                server_url()
            )
        });
        Self(name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql(
            "postgres",
            &format!("drop database if exists {} with (force)", self.0),
        );
    }
}

/// A service from the built-in blueprint consuming `OrderPlaced`, whose fields are keywords.
fn consumer_with_keyword_fields() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("billing");
    svcgen()
        .args([
            "new",
            "billing",
            "--no-input",
            "--set",
            "example_resource=false",
            "--output",
        ])
        .arg(&dir)
        .assert()
        .success();
    let mut add = svcgen();
    add.args(["add-event", "OrderPlaced", "--consume", "--from", "shop"]);
    for field in KEYWORD_FIELDS {
        add.args(["--field", field]);
    }
    add.arg("--service").arg(&dir).assert().success();
    (tmp, dir)
}

/// The migrations, in the order the service applies them.
fn migrations(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    files
}

/// The upsert of the generated handler: the raw string literal starting `insert into`.
fn upsert_sql(dir: &Path) -> String {
    let code = std::fs::read_to_string(dir.join("src/events/order_placed.rs")).unwrap();
    let start = code
        .find("r#\"insert into")
        .expect("the handler's upsert is a raw string literal");
    let sql = &code[start + 3..];
    sql[..sql.find("\"#").expect("the literal ends")].to_owned()
}

#[test]
fn keyword_fields_make_a_table_and_an_upsert_postgresql_accepts() {
    let (_tmp, dir) = consumer_with_keyword_fields();
    let db = Database::create();
    for migration in migrations(&dir) {
        let sql = std::fs::read_to_string(&migration).unwrap();
        if let Err(err) = psql(&db.0, &sql) {
            panic!("{} is refused: {err}\n{sql}", migration.display());
        }
    }

    let upsert = upsert_sql(&dir);
    let id = "0190a000-0000-7000-8000-000000000001";
    // One row per array: id, version, deleted, the fields in order, changed_at.
    let run = |version: i64, user: &str| {
        psql(
            &db.0,
            &format!(
                "prepare upsert as {upsert}; \
                 execute upsert('{{{id}}}', '{{{version}}}', '{{f}}', '{{42}}', '{{{user}}}', \
                   '{{\"a select\"}}', '{{g}}', '{{7}}', '{{{id}}}', '{{10}}', \
                   '{{2026-01-01T00:00:00Z}}')"
            ),
        )
        .unwrap_or_else(|err| panic!("the upsert is refused: {err}\n{upsert}"))
    };
    assert_eq!(run(1, "ann"), id, "a new copy is inserted");
    assert_eq!(run(3, "bob"), id, "a newer version replaces it");
    assert_eq!(run(2, "eve"), "", "an older version is ignored");
    let stored = psql(
        &db.0,
        r#"select version, "order", "user", "select", "group", "table", "from", "limit"
           from "order_copy""#,
    )
    .unwrap();
    assert_eq!(stored, format!("3|42|bob|a select|g|7|{id}|10"));
}

/// The copy table has columns of its own (`deleted`, `changed_at`, ...): a field of the same name
/// would be a second column of that name, which the migration cannot create.
#[test]
fn fields_named_like_the_copy_tables_own_columns_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("billing");
    svcgen()
        .args(["new", "billing", "--no-input", "--output"])
        .arg(&dir)
        .assert()
        .success();
    for column in ["deleted", "changed_at", "created_at", "updated_at"] {
        svcgen()
            .args(["add-event", "OrderPlaced", "--consume", "--from", "shop"])
            .args(["--field", &format!("{column}:string")])
            .arg("--service")
            .arg(&dir)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!("`{column}` is reserved")));
    }
}

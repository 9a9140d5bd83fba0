//! An open write transaction on either backend, with the same primitives as [`Db`].

use chrono::NaiveDate;
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, Transaction};

use super::{Col, Record, Result, Rows, Val, bind_vals, decode_row, first_int, pg_deadline};

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn fetch(&mut self, sql: String, vals: &[Val], cols: &[Col]) -> Result<Rows> {
        let mut out = Vec::new();
        match self {
            Tx::Sqlite(tx) => {
                let q = bind_vals!(sqlx::query::<Sqlite>(AssertSqlSafe(sql)), vals);
                for row in q.fetch_all(&mut **tx).await? {
                    out.push(decode_row!(&row, cols));
                }
            }
            Tx::Postgres(tx) => {
                let q = bind_vals!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), vals);
                for row in pg_deadline(q.fetch_all(&mut **tx)).await? {
                    out.push(decode_row!(&row, cols));
                }
            }
        }
        Ok(out)
    }

    pub async fn fetch_as<T: Record>(&mut self, sql: String, vals: &[Val]) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                bind_vals!(sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql)), vals)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                let q = bind_vals!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), vals);
                pg_deadline(q.fetch_all(&mut **tx)).await?
            }
        })
    }

    pub async fn fetch_one_int(&mut self, sql: impl Into<String>, vals: &[Val]) -> Result<i64> {
        let rows = self.fetch(sql.into(), vals, &[Col::Int]).await?;
        Ok(first_int(&rows))
    }

    /// Run a statement; returns the number of rows it touched.
    pub async fn execute(&mut self, sql: String, vals: &[Val]) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => bind_vals!(sqlx::query::<Sqlite>(AssertSqlSafe(sql)), vals)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => {
                let q = bind_vals!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), vals);
                pg_deadline(q.execute(&mut **tx)).await?.rows_affected()
            }
        })
    }

    /// Run several statements of fixed SQL (no values), without a deadline: a script
    /// such as the seed may take longer than one query should.
    pub async fn execute_script(&mut self, sql: &str) -> Result<()> {
        let sql = AssertSqlSafe(sql.to_string());
        match self {
            Tx::Sqlite(tx) => {
                sqlx::raw_sql(sql).execute(&mut **tx).await?;
            }
            Tx::Postgres(tx) => {
                sqlx::raw_sql(sql).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    pub fn string_agg(&self) -> &'static str {
        super::string_agg(self.is_postgres())
    }

    pub fn collate_c(&self, expr: &str) -> String {
        super::collate_c(self.is_postgres(), expr)
    }

    /// Move an identity sequence past the highest id (after rows were given explicit
    /// ids); nothing to do on SQLite.
    pub async fn sync_sequence(&mut self, table: &str) -> Result<()> {
        if self.is_postgres() {
            self.execute(
                format!(
                    "select setval(pg_get_serial_sequence('{table}', 'id'), greatest((select max(id) from {table}), 1))"
                ),
                &[],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.commit().await?),
            Tx::Postgres(tx) => pg_deadline(tx.commit()).await,
        }
    }
}

//! Whole tables in and out as neutral cells (`tegoed migrate`), and the
//! revision counter.

use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};
use tegoed_store::schema::{Cell, Kind, Table};
use tegoed_store::{Result, StoreError};

pub(crate) fn copy_out(
    conn: &Connection,
    table: &Table,
    visit: &mut dyn FnMut(&[Cell]) -> Result<()>,
) -> Result<u64> {
    let sql = format!(
        "SELECT {} FROM \"{}\" ORDER BY {}",
        table.column_list(),
        table.name,
        table.key_list()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut cells = Vec::with_capacity(table.columns.len());
    let mut n = 0;
    while let Some(row) = rows.next()? {
        cells.clear();
        for (i, (column, kind)) in table.columns.iter().enumerate() {
            let cell = match (row.get_ref(i)?, kind) {
                (ValueRef::Null, _) => Cell::Null,
                (ValueRef::Integer(v), Kind::Int | Kind::Date | Kind::Bool) => Cell::Int(v),
                (ValueRef::Real(v), Kind::Real) => Cell::Real(v),
                (ValueRef::Integer(v), Kind::Real) => Cell::Real(v as f64),
                (ValueRef::Text(t), Kind::Text) => {
                    Cell::Text(String::from_utf8_lossy(t).into_owned())
                }
                (other, _) => {
                    return Err(StoreError::Corrupt(format!(
                        "{}.{column} holds {:?} where {kind:?} belongs",
                        table.name,
                        other.data_type()
                    )));
                }
            };
            cells.push(cell);
        }
        visit(&cells)?;
        n += 1;
    }
    Ok(n)
}

pub(crate) fn copy_in(conn: &Connection, table: &Table, rows: &[Vec<Cell>]) -> Result<()> {
    let marks = vec!["?"; table.columns.len()].join(", ");
    let sql = format!(
        "INSERT INTO \"{}\" ({}) VALUES ({marks})",
        table.name,
        table.column_list()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    for row in rows {
        if row.len() != table.columns.len() {
            return Err(StoreError::Corrupt(format!(
                "{}: a row of {} cells for {} columns",
                table.name,
                row.len(),
                table.columns.len()
            )));
        }
        let values = row.iter().map(|cell| match cell {
            Cell::Null => Value::Null,
            Cell::Int(v) => Value::Integer(*v),
            Cell::Real(v) => Value::Real(*v),
            Cell::Text(t) => Value::Text(t.clone()),
        });
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

pub(crate) fn revision(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT n FROM store_revision WHERE id = 1")?
        .query_row([], |row| row.get(0))?)
}

/// Moves the revision; part of every commit.
pub(crate) fn bump_revision(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE store_revision SET n = n + 1 WHERE id = 1")?
        .execute([])?;
    Ok(())
}

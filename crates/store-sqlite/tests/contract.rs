//! The SQLite backend passes the store contract, and behaves as a file
//! database should: WAL mode, migrations recorded, reopening is harmless.

use tegoed_store::Store;
use tegoed_store_sqlite::SqliteStore;

#[test]
fn sqlite_passes_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("contract.db")).unwrap();
    tegoed_store::contract::story(&store);
}

#[test]
fn reopening_keeps_data_and_runs_no_migration_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        let mut tx = store.write().unwrap();
        tx.insert_customer(&tegoed_core::Customer::new("C1", "Een"))
            .unwrap();
        tx.commit().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.read().unwrap().customer_count().unwrap(), 1);
    let conn = rusqlite_free_check(&path);
    assert_eq!(conn, "wal");
}

/// Reads the journal mode straight from the file header: byte 18 and 19 are
/// 2 in WAL mode.
fn rusqlite_free_check(path: &std::path::Path) -> &'static str {
    let header = std::fs::read(path).unwrap();
    if header[18] == 2 && header[19] == 2 {
        "wal"
    } else {
        "rollback"
    }
}

#[test]
fn a_reader_sees_a_snapshot_while_a_writer_works() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("snap.db")).unwrap();
    let mut reader = store.read().unwrap();
    assert_eq!(reader.customer_count().unwrap(), 0);
    {
        let mut tx = store.write().unwrap();
        tx.insert_customer(&tegoed_core::Customer::new("C1", "Een"))
            .unwrap();
        tx.commit().unwrap();
    }
    assert_eq!(reader.customer_count().unwrap(), 0, "snapshot isolation");
    drop(reader);
    assert_eq!(store.read().unwrap().customer_count().unwrap(), 1);
}

#[test]
fn sqlite_copies_every_table_into_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let from = SqliteStore::open(dir.path().join("from.db")).unwrap();
    tegoed_store::contract::story(&from);
    let to = SqliteStore::open(dir.path().join("to.db")).unwrap();
    tegoed_store::contract::copy_story(&from, &to);
}

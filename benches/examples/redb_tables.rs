//! Bytes per redb table of a database file (diagnostics): stored, fragmented and metadata
//! bytes and leaf/branch pages of every table.
//!
//! `cargo run --release -p memspine-benches --example redb_tables -- /tmp/b1m/data.redb`
#![allow(clippy::unwrap_used)]

use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle, UntypedTableHandle};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/b1m/data.redb".into());
    let db = redb::Database::open(&path)?;
    let txn = db.begin_read()?;
    println!(
        "{:<16} {:>12} {:>12} {:>12} {:>10}",
        "table", "stored MiB", "frag MiB", "meta MiB", "pages"
    );
    for t in txn.list_tables()? {
        let name = t.name().to_owned();
        let h: UntypedTableHandle = t;
        let table = txn.open_untyped_table(h)?;
        let s = table.stats()?;
        let mib = |b: u64| b as f64 / 1048576.0;
        println!(
            "{name:<16} {:>12.1} {:>12.1} {:>12.1} {:>10}",
            mib(s.stored_bytes()),
            mib(s.fragmented_bytes()),
            mib(s.metadata_bytes()),
            s.leaf_pages() + s.branch_pages()
        );
    }
    Ok(())
}

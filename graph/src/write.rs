//! All graph tables opened once in a write transaction, so a batch opens them once.

use redb::{ReadableTable, Table, WriteTransaction};

use crate::error::Result;
use crate::tables::{
    ALL_ENTITIES, CHANGES, EDGES, ENTITIES, ENT_MEM, GRAPH_FORMAT_VERSION, IN, KEEP_CHANGES,
    MEM_ENT, META, NAMES, NEXT_CHANGE, OUT, PREDICATES, PRED_NAMES,
};

/// The graph's tables inside one write transaction.
pub(crate) struct Tables<'t> {
    pub meta: Table<'t, &'static str, u64>,
    pub entities: Table<'t, u64, &'static [u8]>,
    pub names: Table<'t, &'static str, u64>,
    pub predicates: Table<'t, &'static str, (u32, u8)>,
    pub pred_names: Table<'t, u32, &'static str>,
    pub out: Table<'t, (u64, u32, u64, u64), &'static [u8]>,
    pub inn: Table<'t, (u64, u32, u64, u64), (u64, u64)>,
    pub edges: Table<'t, u64, (u64, u32, u64)>,
    pub mem_ent: Table<'t, (u64, u64), ()>,
    pub ent_mem: Table<'t, (u64, u64), ()>,
    changes: Table<'t, (u64, u64), ()>,
    /// This call's change number, taken by its first [`Tables::touch`].
    change: Option<u64>,
    /// The entities this call listed (at most [`MAX_LISTED`]; then it lists "all").
    listed: Vec<u64>,
}

/// Entities one call lists in the change log; a call touching more (a bulk load) lists
/// [`ALL_ENTITIES`] instead, and a copy of the graph is rebuilt rather than patched.
const MAX_LISTED: usize = 64;

/// A change number that trims the change log when it is a multiple of this.
const TRIM_EVERY: u64 = 1024;

impl<'t> Tables<'t> {
    /// Opens (creating if needed) every graph table and stamps the format version.
    pub fn open(wtxn: &'t WriteTransaction) -> Result<Self> {
        let mut meta = wtxn.open_table(META)?;
        if meta.get("format_version")?.is_none() {
            meta.insert("format_version", GRAPH_FORMAT_VERSION)?;
        }
        Ok(Tables {
            meta,
            entities: wtxn.open_table(ENTITIES)?,
            names: wtxn.open_table(NAMES)?,
            predicates: wtxn.open_table(PREDICATES)?,
            pred_names: wtxn.open_table(PRED_NAMES)?,
            out: wtxn.open_table(OUT)?,
            inn: wtxn.open_table(IN)?,
            edges: wtxn.open_table(EDGES)?,
            mem_ent: wtxn.open_table(MEM_ENT)?,
            ent_mem: wtxn.open_table(ENT_MEM)?,
            changes: wtxn.open_table(CHANGES)?,
            change: None,
            listed: Vec::new(),
        })
    }

    /// Records that `entity`'s record or edges change in this call (see
    /// [`crate::tables::CHANGES`]). The first touch of a call takes the next change number.
    pub fn touch(&mut self, entity: u64) -> Result<()> {
        let change = match self.change {
            Some(c) => c,
            None => {
                let c = crate::tables::next_id(&mut self.meta, NEXT_CHANGE)?;
                if c.is_multiple_of(TRIM_EVERY) && c > KEEP_CHANGES {
                    self.changes
                        .retain_in(..(c - KEEP_CHANGES, 0), |_, _| false)?;
                }
                self.change = Some(c);
                c
            }
        };
        if self.listed.contains(&entity) || self.listed.contains(&ALL_ENTITIES) {
            return Ok(());
        }
        let entity = match self.listed.len() < MAX_LISTED {
            true => entity,
            false => ALL_ENTITIES,
        };
        self.listed.push(entity);
        self.changes.insert((change, entity), ())?;
        Ok(())
    }

    /// Records a change to every entity (a copy of the graph must be rebuilt).
    pub fn touch_all(&mut self) -> Result<()> {
        self.touch(ALL_ENTITIES)
    }
}

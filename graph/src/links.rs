//! Links between memories (engine ids) and the entities they mention, kept both ways.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use crate::error::{GraphError, Result};
use crate::tables::{self, ENT_MEM, MEM_ENT};
use crate::write::Tables;

/// Links memory `memory` to each entity (idempotent). Every entity must exist.
pub fn link_memory(wtxn: &WriteTransaction, memory: u64, entities: &[u64]) -> Result<()> {
    link_in(&mut Tables::open(wtxn)?, memory, entities)
}

pub(crate) fn link_in(t: &mut Tables, memory: u64, entities: &[u64]) -> Result<()> {
    for &e in entities {
        if t.entities.get(e)?.is_none() {
            return Err(GraphError::UnknownEntity(format!("#{e}")));
        }
    }
    for &e in entities {
        t.mem_ent.insert((memory, e), ())?;
        t.ent_mem.insert((e, memory), ())?;
    }
    Ok(())
}

fn entities_of(t: &Tables, memory: u64) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for row in t.mem_ent.range((memory, 0)..=(memory, u64::MAX))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

/// Removes every link of a memory (call when the memory is deleted). Returns how many.
pub fn unlink_memory(wtxn: &WriteTransaction, memory: u64) -> Result<usize> {
    let mut t = Tables::open(wtxn)?;
    let entities = entities_of(&t, memory)?;
    for &e in &entities {
        t.mem_ent.remove((memory, e))?;
        t.ent_mem.remove((e, memory))?;
    }
    Ok(entities.len())
}

/// Moves the links of memories `from` to memory `to` (consolidation: the consolidated memory
/// is about everything its sources were about). Returns how many links `to` gained.
pub fn move_links(wtxn: &WriteTransaction, from: &[u64], to: u64) -> Result<usize> {
    let mut t = Tables::open(wtxn)?;
    let mut gained = 0;
    for &m in from.iter().filter(|&&m| m != to) {
        for e in entities_of(&t, m)? {
            t.mem_ent.remove((m, e))?;
            t.ent_mem.remove((e, m))?;
            if t.mem_ent.insert((to, e), ())?.is_none() {
                gained += 1;
            }
            t.ent_mem.insert((e, to), ())?;
        }
    }
    Ok(gained)
}

/// Removes every link of an entity (entity deletion). Returns how many.
pub(crate) fn unlink_entity(t: &mut Tables, entity: u64) -> Result<usize> {
    let mut mems = Vec::new();
    for row in t.ent_mem.range((entity, 0)..=(entity, u64::MAX))? {
        mems.push(row?.0.value().1);
    }
    for &m in &mems {
        t.ent_mem.remove((entity, m))?;
        t.mem_ent.remove((m, entity))?;
    }
    Ok(mems.len())
}

/// Memories linked to an entity, in id order (oldest first), at most `limit`.
pub fn memories_about(rtxn: &ReadTransaction, entity: u64, limit: usize) -> Result<Vec<u64>> {
    let Some(t) = tables::read(rtxn, ENT_MEM)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in t.range((entity, 0)..=(entity, u64::MAX))?.take(limit) {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

/// Memories linked to an entity, newest (highest id) first, keeping only those `keep` accepts
/// (e.g. the caller's scope), at most `limit`, looking at no more than `max_scan` links.
pub fn recent_memories_about(
    rtxn: &ReadTransaction,
    entity: u64,
    limit: usize,
    max_scan: usize,
    mut keep: impl FnMut(u64) -> bool,
) -> Result<Vec<u64>> {
    let Some(t) = tables::read(rtxn, ENT_MEM)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in t
        .range((entity, 0)..=(entity, u64::MAX))?
        .rev()
        .take(max_scan)
    {
        if out.len() >= limit {
            break;
        }
        let m = row?.0.value().1;
        if keep(m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Entities a memory is linked to, in id order.
pub fn entities_of_memory(rtxn: &ReadTransaction, memory: u64) -> Result<Vec<u64>> {
    let Some(t) = tables::read(rtxn, MEM_ENT)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in t.range((memory, 0)..=(memory, u64::MAX))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

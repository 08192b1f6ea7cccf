//! Entities: stable ids, canonical name + aliases, optional type, metadata, normalised lookup.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{self, EntityRecord};
use crate::error::{GraphError, Result};
use crate::normalize::{checked, normalize};
use crate::tables::{self, ENTITIES, NAMES};
use crate::write::Tables;

/// Input of [`create_entity`]. Serializable so the engine can log the call for replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEntity {
    /// Canonical name (must not be empty once normalised).
    pub name: String,
    /// Other names that find this entity.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Optional type, e.g. `person`, `company`.
    #[serde(default)]
    pub kind: Option<String>,
    /// A JSON object (or null for none).
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// Creation time (µs), given by the caller so replay is exact.
    pub created_at: u64,
}

impl NewEntity {
    /// An entity with just a name.
    pub fn named(name: impl Into<String>, created_at: u64) -> Self {
        NewEntity {
            name: name.into(),
            aliases: Vec::new(),
            kind: None,
            metadata: serde_json::Value::Null,
            created_at,
        }
    }
}

/// An entity as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Stable id (from `graph_meta.next_entity`, starting at 1).
    pub id: u64,
    /// Canonical name as given (trimmed).
    pub name: String,
    /// Aliases as given (trimmed).
    pub aliases: Vec<String>,
    /// Optional type.
    pub kind: Option<String>,
    /// Metadata (a JSON object).
    pub metadata: serde_json::Value,
    /// Creation time (µs).
    pub created_at: u64,
}

/// Names an entity in an input: by id, or by name (resolved through the normalised index).
/// In JSON a number is an id and a string a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EntityRef {
    /// An existing entity's id.
    Id(u64),
    /// A name or alias; [`crate::add_triple`] creates the entity when no entity has it.
    Name(String),
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::Id(id) => write!(f, "#{id}"),
            EntityRef::Name(n) => write!(f, "{n:?}"),
        }
    }
}

/// JSON object text of an optional object input; `null` means `{}`.
pub(crate) fn object_text(field: &'static str, v: &serde_json::Value) -> Result<String> {
    match v {
        serde_json::Value::Null => Ok("{}".to_string()),
        serde_json::Value::Object(_) => Ok(v.to_string()),
        _ => Err(GraphError::NotAnObject { field }),
    }
}

/// Creates an entity; its name and aliases must not belong to another entity (`NameTaken`).
pub fn create_entity(wtxn: &WriteTransaction, new: &NewEntity) -> Result<u64> {
    create_in(&mut Tables::open(wtxn)?, new)
}

pub(crate) fn create_in(t: &mut Tables, new: &NewEntity) -> Result<u64> {
    let name = new.name.trim().to_string();
    let mut keys = vec![checked("name", &name)?];
    let mut aliases = Vec::new();
    for a in &new.aliases {
        let key = checked("alias", a)?;
        if !keys.contains(&key) {
            keys.push(key);
            aliases.push(a.trim().to_string());
        }
    }
    for key in &keys {
        if let Some(owner) = t.names.get(key.as_str())? {
            return Err(GraphError::NameTaken {
                name: key.clone(),
                entity: owner.value(),
            });
        }
    }
    let kind = new
        .kind
        .as_ref()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    let metadata = object_text("metadata", &new.metadata)?;
    let rec = EntityRecord {
        name,
        aliases,
        kind,
        metadata,
        created_at: new.created_at,
    };
    let id = tables::next_id(&mut t.meta, "next_entity")?;
    t.entities
        .insert(id, codec::encode_entity(&rec)?.as_slice())?;
    for key in &keys {
        t.names.insert(key.as_str(), id)?;
    }
    t.touch(id)?;
    Ok(id)
}

/// Resolves a reference, creating a bare entity for an unknown name. Returns (id, created).
pub(crate) fn resolve_or_create(t: &mut Tables, r: &EntityRef, at: u64) -> Result<(u64, bool)> {
    match r {
        EntityRef::Id(id) => match t.entities.get(*id)? {
            Some(_) => Ok((*id, false)),
            None => Err(GraphError::UnknownEntity(r.to_string())),
        },
        EntityRef::Name(name) => {
            let key = checked("name", name)?;
            if let Some(id) = t.names.get(key.as_str())? {
                return Ok((id.value(), false));
            }
            Ok((create_in(t, &NewEntity::named(name.as_str(), at))?, true))
        }
    }
}

/// Resolves an existing entity by id or name inside a write transaction (`UnknownEntity` if none).
pub(crate) fn resolve_in(t: &Tables, r: &EntityRef) -> Result<u64> {
    let found = match r {
        EntityRef::Id(id) => t.entities.get(*id)?.map(|_| *id),
        EntityRef::Name(n) => t
            .names
            .get(checked("name", n)?.as_str())?
            .map(|g| g.value()),
    };
    found.ok_or_else(|| GraphError::UnknownEntity(r.to_string()))
}

/// Adds an alias to an entity. Adding an alias it already has is a no-op; one that belongs to
/// another entity is `NameTaken`.
pub fn add_alias(wtxn: &WriteTransaction, entity: u64, alias: &str) -> Result<()> {
    let mut t = Tables::open(wtxn)?;
    let key = checked("alias", alias)?;
    let mut rec = load(&t.entities, entity)?;
    match t.names.get(key.as_str())?.map(|g| g.value()) {
        Some(owner) if owner == entity => return Ok(()),
        Some(owner) => {
            return Err(GraphError::NameTaken {
                name: key,
                entity: owner,
            })
        }
        None => {}
    }
    rec.aliases.push(alias.trim().to_string());
    t.entities
        .insert(entity, codec::encode_entity(&rec)?.as_slice())?;
    t.names.insert(key.as_str(), entity)?;
    t.touch(entity)
}

fn load(table: &impl ReadableTable<u64, &'static [u8]>, id: u64) -> Result<EntityRecord> {
    let guard = table
        .get(id)?
        .ok_or_else(|| GraphError::UnknownEntity(format!("#{id}")))?;
    codec::decode_entity_keyed(guard.value(), &|| id.to_string())
}

pub(crate) fn to_entity(id: u64, rec: EntityRecord) -> Entity {
    let metadata = codec::json_object(&rec.metadata);
    Entity {
        id,
        name: rec.name,
        aliases: rec.aliases,
        kind: rec.kind,
        metadata,
        created_at: rec.created_at,
    }
}

/// Finds an entity by name or alias, normalised ("alice" finds "Alice").
pub fn find_entity(rtxn: &ReadTransaction, name: &str) -> Result<Option<u64>> {
    let key = normalize(name);
    let Some(names) = tables::read(rtxn, NAMES)? else {
        return Ok(None);
    };
    Ok(names.get(key.as_str())?.map(|g| g.value()))
}

/// Resolves a reference to an existing entity (`UnknownEntity` if none).
pub fn resolve(rtxn: &ReadTransaction, r: &EntityRef) -> Result<u64> {
    let found = match r {
        EntityRef::Id(id) => get_entity(rtxn, *id)?.map(|e| e.id),
        EntityRef::Name(n) => find_entity(rtxn, n)?,
    };
    found.ok_or_else(|| GraphError::UnknownEntity(r.to_string()))
}

/// Reads one entity.
pub fn get_entity(rtxn: &ReadTransaction, id: u64) -> Result<Option<Entity>> {
    Ok(get_entities(rtxn, &[id])?.pop())
}

/// Reads several entities in the given order; ids that do not exist are skipped.
pub fn get_entities(rtxn: &ReadTransaction, ids: &[u64]) -> Result<Vec<Entity>> {
    let Some(table) = tables::read(rtxn, ENTITIES)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        if let Some(g) = table.get(id)? {
            out.push(to_entity(
                id,
                codec::decode_entity_keyed(g.value(), &|| id.to_string())?,
            ));
        }
    }
    Ok(out)
}

/// Lists entities in id order: up to `limit` entities with id > `after`.
pub fn list_entities(rtxn: &ReadTransaction, after: u64, limit: usize) -> Result<Vec<Entity>> {
    let Some(table) = tables::read(rtxn, ENTITIES)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in table.range(after.saturating_add(1)..)?.take(limit) {
        let (k, v) = row?;
        let id = k.value();
        out.push(to_entity(
            id,
            codec::decode_entity_keyed(v.value(), &|| id.to_string())?,
        ));
    }
    Ok(out)
}

/// What deleting an entity removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityDeleted {
    /// Edges removed (out and in; a self-loop counts once).
    pub edges: usize,
    /// Memory links removed.
    pub links: usize,
}

/// Deletes an entity with every edge touching it (both directions), its names and its memory
/// links.
pub fn delete_entity(wtxn: &WriteTransaction, entity: u64) -> Result<EntityDeleted> {
    let mut t = Tables::open(wtxn)?;
    let rec = load(&t.entities, entity)?;
    let mut edges = Vec::new();
    for row in t.out.range(tables::adjacency_range(entity, None))? {
        let (s, p, o, e) = row?.0.value();
        edges.push((s, p, o, e));
    }
    for row in t.inn.range(tables::adjacency_range(entity, None))? {
        let (o, p, s, e) = row?.0.value();
        if s != o {
            edges.push((s, p, o, e)); // a self-loop is already in the out list
        }
    }
    for &(s, p, o, e) in &edges {
        crate::edge::remove_keys(&mut t, s, p, o, e)?;
    }
    let links = crate::links::unlink_entity(&mut t, entity)?;
    for name in std::iter::once(&rec.name).chain(&rec.aliases) {
        t.names.remove(normalize(name).as_str())?;
    }
    t.entities.remove(entity)?;
    t.touch(entity)?;
    Ok(EntityDeleted {
        edges: edges.len(),
        links,
    })
}

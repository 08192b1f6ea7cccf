//! `memspine graph …`: facts, neighbourhoods and paths from the command line.

use anyhow::Result;
use clap::Subcommand;
use memspine::clock::{format_date, parse_rfc3339};
use memspine::{NewTriple, Spine, TraversalOptions};

use crate::output::Out;

#[derive(Subcommand)]
pub enum GraphCmd {
    /// Add a fact: SUBJECT PREDICATE OBJECT.
    Add {
        subject: String,
        predicate: String,
        object: String,
        /// Confidence 0..1.
        #[arg(long, default_value_t = 1.0)]
        confidence: f32,
        /// Where it came from.
        #[arg(long, default_value = "cli")]
        source: String,
        /// Context (JSON object).
        #[arg(long)]
        context: Option<String>,
        /// The memory it came from.
        #[arg(long)]
        memory: Option<u64>,
        /// Valid from (RFC 3339; default now).
        #[arg(long)]
        valid_from: Option<String>,
    },
    /// Declare a single-valued predicate (new facts supersede the old one).
    SingleValued { predicate: String },
    /// An entity's neighbourhood with every relation among it.
    Show {
        entity: String,
        #[arg(long, default_value_t = 1)]
        depth: u32,
        /// Facts as of this time (RFC 3339).
        #[arg(long)]
        as_of: Option<String>,
        /// Per-entity fan-out cap (super-nodes are cut and reported).
        #[arg(long, default_value_t = memspine_graph::DEFAULT_MAX_FANOUT)]
        max_fanout: usize,
    },
    /// Invalidate a fact (by edge id): it stays in history, valid until now or --at.
    Invalidate {
        edge: u64,
        /// End of validity (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Delete an entity with every edge touching it (both directions) and its memory links.
    DeleteEntity { entity: String },
    /// Shortest paths between two entities.
    Path {
        a: String,
        b: String,
        #[arg(long, default_value_t = 4)]
        max_depth: u32,
    },
    /// Memories linked to an entity.
    Memories {
        entity: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

fn time(s: &Option<String>) -> Result<Option<u64>> {
    s.as_ref()
        .map(|t| parse_rfc3339(t).ok_or_else(|| anyhow::anyhow!("{t:?} is not an RFC 3339 time")))
        .transpose()
}

pub fn run(db: &Spine, cmd: GraphCmd, out: &Out) -> Result<()> {
    match cmd {
        GraphCmd::Add {
            subject,
            predicate,
            object,
            confidence,
            source,
            context,
            memory,
            valid_from,
        } => {
            let mut t = NewTriple::new(&subject, &predicate, &object, 0);
            t.confidence = confidence;
            t.source = source;
            t.memory = memory;
            t.valid_from = time(&valid_from)?;
            if let Some(c) = context {
                t.context = serde_json::from_str(&c)?;
            }
            let added = db.add_triple(t)?;
            out.value(&added, |a| {
                format!(
                    "edge {} ({} → {}); closed {:?}",
                    a.edge, a.subject, a.object, a.closed
                )
            });
        }
        GraphCmd::SingleValued { predicate } => {
            db.declare_predicate(&predicate, true)?;
            out.line(&format!("{predicate} is single-valued"));
        }
        GraphCmd::Invalidate { edge, at } => {
            db.invalidate_triple(edge, time(&at)?.unwrap_or(0))?;
            out.line(&format!("edge {edge} invalidated"));
        }
        GraphCmd::DeleteEntity { entity } => {
            let d = db.delete_entity(&entity)?;
            out.value(&d, |d| {
                format!(
                    "deleted {entity}: {} edges, {} memory links",
                    d.edges, d.links
                )
            });
        }
        GraphCmd::Show {
            entity,
            depth,
            as_of,
            max_fanout,
        } => {
            let opts = TraversalOptions {
                as_of: time(&as_of)?,
                max_fanout,
                ..Default::default()
            };
            let n = db.neighborhood(&entity, depth, &opts)?;
            let names: std::collections::HashMap<u64, String> = n
                .entities
                .iter()
                .filter_map(|h| Some((h.id, h.entity.as_ref()?.name.clone())))
                .collect();
            out.value(&n, |n| {
                let mut t = String::new();
                for h in &n.entities {
                    t.push_str(&format!(
                        "{}{} (hop {})\n",
                        "  ".repeat(h.distance as usize),
                        names.get(&h.id).map_or("?", |s| s),
                        h.distance
                    ));
                }
                for r in &n.relations {
                    let nm = |id: u64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
                    t.push_str(&format!(
                        "{} —{}→ {}  (conf {:.2}, since {})\n",
                        nm(r.subject),
                        r.predicate,
                        nm(r.object),
                        r.confidence,
                        format_date(r.valid_from)
                    ));
                }
                if n.truncated {
                    t.push_str(&format!("(cut by a cap; fan-out cut at {:?})\n", n.cut));
                }
                t
            });
        }
        GraphCmd::Path { a, b, max_depth } => {
            let p = db.paths(&a, &b, max_depth, &TraversalOptions::default())?;
            let ids: Vec<u64> = p.paths.iter().flat_map(|p| p.entities.clone()).collect();
            let names: std::collections::HashMap<u64, String> =
                db.entity_names(&ids)?.into_iter().collect();
            out.value(&p, |p| {
                if p.paths.is_empty() {
                    return format!("no path within {max_depth} hops");
                }
                p.paths
                    .iter()
                    .map(|path| {
                        let mut s = names.get(&path.entities[0]).cloned().unwrap_or_default();
                        for (r, e) in path.relations.iter().zip(path.entities.iter().skip(1)) {
                            s.push_str(&format!(
                                " —{}— {}",
                                r.predicate,
                                names.get(e).cloned().unwrap_or_default()
                            ));
                        }
                        s
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        GraphCmd::Memories { entity, limit } => out.memories(&db.memories_about(&entity, limit)?),
    }
    Ok(())
}

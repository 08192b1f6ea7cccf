//! Printing results as text or JSON.

use memspine::clock::format_rfc3339;
use memspine::{Event, Memory, MemoryId};
use serde::Serialize;

pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn line(&self, s: &str) {
        if self.json {
            println!("{}", serde_json::json!({ "message": s }));
        } else {
            println!("{s}");
        }
    }

    pub fn id(&self, id: MemoryId) {
        if self.json {
            println!("{}", serde_json::json!({ "id": id }));
        } else {
            println!("{id}");
        }
    }

    pub fn value<T: Serialize>(&self, v: &T, text: impl FnOnce(&T) -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
        } else {
            println!("{}", text(v));
        }
    }

    pub fn memory(&self, m: &Memory) {
        self.value(m, memory_text);
    }

    pub fn memories(&self, ms: &[Memory]) {
        self.value(&ms, |ms| {
            ms.iter().map(memory_line).collect::<Vec<_>>().join("\n")
        });
    }

    pub fn events(&self, es: &[Event]) {
        self.value(&es, |es| {
            es.iter()
                .map(|e| {
                    format!(
                        "#{:<6} {}  {:<20} {}",
                        e.seq(),
                        format_rfc3339(e.timestamp()),
                        e.event_type(),
                        summarize(&e.payload())
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
    }
}

pub fn memory_line(m: &Memory) -> String {
    let mut flags = String::new();
    if m.pinned {
        flags.push_str(" [pinned]");
    }
    if m.archived {
        flags.push_str(" [archived]");
    }
    let who = m.scope.user.as_deref().unwrap_or("-");
    format!(
        "{:>6}  {}  {:<8} {:<18}{} {}",
        m.id,
        &format_rfc3339(m.created_at)[..10],
        who,
        m.kind,
        flags,
        m.content
    )
}

fn memory_text(m: &Memory) -> String {
    format!(
        "id:          {}\ncontent:     {}\nkind:        {}\ntags:        {}\nuser:        {}\nsession:     {}\nagent:       {}\nimportance:  {}\npinned:      {}\narchived:    {}\ncreated:     {}\nupdated:     {}\naccesses:    {}\nmetadata:    {}\nprovenance:  {:?}",
        m.id,
        m.content,
        m.kind,
        m.tags.join(", "),
        m.scope.user.as_deref().unwrap_or("-"),
        m.scope.session.as_deref().unwrap_or("-"),
        m.scope.agent.as_deref().unwrap_or("-"),
        m.importance,
        m.pinned,
        m.archived,
        format_rfc3339(m.created_at),
        format_rfc3339(m.updated_at),
        m.access_count,
        m.metadata,
        m.provenance.iter().map(|p| p.0).collect::<Vec<_>>()
    )
}

fn summarize(v: &serde_json::Value) -> String {
    let s = match v.get("content").and_then(|c| c.as_str()) {
        Some(c) => c.to_owned(),
        None => v.to_string(),
    };
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

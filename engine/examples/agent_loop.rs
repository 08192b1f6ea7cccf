//! The article's memory-aware agent loop, runnable offline:
//! store the user's query → build the context window → call the model → store the answer.
//!
//! The model call sits behind the [`Llm`] trait. This example plugs in [`EchoModel`], a clearly
//! labelled stand-in that answers from the context it was given (no network, no API key); a real
//! agent implements `Llm` with its own client.
//!
//! `cargo run --example agent_loop`

use memspine::{ContextOptions, Filter, NewMemory, Options, Spine};

/// What the agent needs from a language model.
trait Llm {
    fn complete(&self, prompt: &str) -> String;
}

/// STAND-IN MODEL: quotes the most relevant remembered line. Replace with a real client.
struct EchoModel;

impl Llm for EchoModel {
    fn complete(&self, prompt: &str) -> String {
        // The first remembered line that is not a stored question (the current one is among them).
        let remembered = prompt
            .lines()
            .skip_while(|l| !l.starts_with("## Relevant memories"))
            .find(|l| {
                l.starts_with("- [")
                    && !l.contains("User query:")
                    && !l.contains("Assistant response:")
            })
            .or_else(|| prompt.lines().find(|l| l.starts_with("- [")))
            .unwrap_or("(nothing yet)");
        format!(
            "[stand-in model] From memory: {}",
            remembered.trim_start_matches("- ")
        )
    }
}

struct MemoryAwareAgent<M: Llm> {
    memory: Spine,
    model: M,
    context_tokens: usize,
}

impl<M: Llm> MemoryAwareAgent<M> {
    fn process_query(
        &self,
        user_input: &str,
        user: &str,
        session: &str,
    ) -> memspine::Result<String> {
        // 1. Store the incoming query.
        self.memory.store(
            NewMemory::new(format!("User query: {user_input}"))
                .kind("user_query")
                .tag("user_query")
                .user(user)
                .session(session),
        )?;
        // 2. Retrieve relevant context, scoped to this user (typed filter, no string splicing);
        //    this session's memories are the working tier, shown as the recent conversation.
        let opts = ContextOptions {
            filter: Filter {
                current_session: Some(session.to_owned()),
                ..Filter::user(user)
            },
            ..Default::default()
        };
        let context = self
            .memory
            .llm_context_window(user_input, self.context_tokens / 2, &opts)?;
        // 3. Build the prompt.
        let prompt = format!(
            "## Conversation Context\n{}\n\n## Current Query\nUser: {user_input}\n\nAssistant:",
            context.text
        );
        // 4. Call the model.
        let response = self.model.complete(&prompt);
        // 5. Store the response for future context.
        self.memory.store(
            NewMemory::new(format!("Assistant response: {response}"))
                .kind("assistant_response")
                .tag("assistant_response")
                .user(user)
                .session(session),
        )?;
        Ok(response)
    }
}

fn main() -> memspine::Result<()> {
    let dir = std::env::temp_dir().join(format!("memspine-agent-{}", std::process::id()));
    let agent = MemoryAwareAgent {
        memory: Spine::open(&dir, Options::default())?,
        model: EchoModel,
        context_tokens: 8192,
    };
    agent.memory.store(
        NewMemory::new("Alice prefers email over phone calls")
            .user("alice")
            .pinned(true),
    )?;
    agent.memory.store(
        NewMemory::new("Alice's order O-8015 ships to Munich")
            .user("alice")
            .kind("fact"),
    )?;
    for q in [
        "Where is my order going?",
        "How should you contact me?",
        "Did my package arrive yet?",
    ] {
        println!("User:  {q}");
        println!("Agent: {}\n", agent.process_query(q, "alice", "s1")?);
    }
    println!(
        "{} memories stored in {} (removed now; a real agent keeps its database)",
        agent.memory.count()?,
        dir.display()
    );
    drop(agent);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

//! The `memspine` command-line tool.

mod crash_mixed;
mod demo;
mod graph_cmd;
mod output;

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use memspine::clock::parse_rfc3339;
use memspine::{
    Dedup, Filter, MemoryId, MemoryUpdate, NewMemory, NewTriple, Options, Scope, Spine,
    StoreOutcome,
};

use output::Out;

/// memspine: persistent memory for AI agents, in one local database.
#[derive(Parser)]
#[command(version, about, propagate_version = true)]
struct Cli {
    /// Database directory.
    #[arg(
        long,
        global = true,
        env = "MEMSPINE_DB",
        default_value = "./memspine.db"
    )]
    db: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Default)]
struct ScopeArgs {
    /// User scope.
    #[arg(long)]
    user: Option<String>,
    /// Session scope.
    #[arg(long)]
    session: Option<String>,
    /// Agent scope.
    #[arg(long)]
    agent: Option<String>,
}

impl ScopeArgs {
    /// A filter on these scope fields (other fields default).
    fn filter(self) -> Filter {
        Filter {
            user: self.user,
            session: self.session,
            agent: self.agent,
            ..Default::default()
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            user: self.user.clone(),
            session: self.session.clone(),
            agent: self.agent.clone(),
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Create an empty database.
    Init {
        /// Vector dimension for caller-given vectors (0: none).
        #[arg(long)]
        dimension: Option<usize>,
    },
    /// Store a memory.
    Store {
        /// The text.
        content: String,
        /// Tags (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Kind.
        #[arg(long)]
        kind: Option<String>,
        /// Metadata as a JSON object.
        #[arg(long)]
        metadata: Option<String>,
        /// Importance 0..1.
        #[arg(long)]
        importance: Option<f32>,
        /// Pin it.
        #[arg(long)]
        pinned: bool,
        /// Duplicate handling: off, exact (the same content in the same scope returns the
        /// existing id), merge:THRESHOLD or flag:THRESHOLD (near-duplicates by cosine).
        #[arg(long)]
        dedup: Option<Dedup>,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Show a memory.
    Get {
        /// Memory id.
        id: MemoryId,
    },
    /// Change a memory.
    Update {
        /// Memory id.
        id: MemoryId,
        /// New content.
        #[arg(long)]
        content: Option<String>,
        /// Replace the tags (repeatable).
        #[arg(long = "tag")]
        tags: Option<Vec<String>>,
        /// New kind.
        #[arg(long)]
        kind: Option<String>,
        /// New metadata (JSON object).
        #[arg(long)]
        metadata: Option<String>,
        /// New importance.
        #[arg(long)]
        importance: Option<f32>,
        /// Pin (true) or unpin (false).
        #[arg(long)]
        pinned: Option<bool>,
    },
    /// Delete a memory (its history stays).
    Delete {
        /// Memory id.
        id: MemoryId,
    },
    /// A memory's events.
    History {
        /// Memory id.
        id: MemoryId,
    },
    /// Most recently created memories.
    Recent {
        /// How many.
        #[arg(long, default_value_t = 10)]
        count: usize,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Events of the last hours (query_recent).
    Log {
        /// Window in hours.
        #[arg(long, default_value_t = 24.0)]
        hours: f64,
        /// Only this event type.
        #[arg(long = "type")]
        event_type: Option<String>,
    },
    /// Append an agent event to the log.
    Event {
        /// Event type.
        event_type: String,
        /// JSON payload.
        #[arg(default_value = "{}")]
        payload: String,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Import memories from JSONL.
    Import {
        /// The file (`-` for stdin).
        file: PathBuf,
    },
    /// Export memories as JSONL.
    Export {
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Include archived memories (marked `"archived": true`).
        #[arg(long)]
        include_archived: bool,
    },
    /// Filter memories by scope, tags, kind, pinned, time.
    List {
        #[command(flatten)]
        scope: ScopeArgs,
        /// Required tags (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only pinned.
        #[arg(long)]
        pinned: bool,
        /// Created after (RFC 3339).
        #[arg(long)]
        after: Option<String>,
        /// Created before (RFC 3339).
        #[arg(long)]
        before: Option<String>,
        /// working, short_term or long_term.
        #[arg(long)]
        tier: Option<String>,
        /// The current session (defines the working tier).
        #[arg(long)]
        current_session: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Search memories (semantic, lexical or hybrid).
    Search {
        /// The query text.
        query: String,
        /// Results wanted.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// semantic, lexical or hybrid.
        #[arg(long, default_value = "hybrid")]
        mode: String,
        #[command(flatten)]
        scope: ScopeArgs,
        /// Required tags (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Kind.
        #[arg(long)]
        kind: Option<String>,
        /// Scan full-precision vectors.
        #[arg(long)]
        exact: bool,
    },
    /// Build the token-budgeted context window for a question.
    Context {
        /// The question.
        query: String,
        /// Token budget.
        #[arg(long, default_value_t = 2000)]
        max_tokens: usize,
        #[command(flatten)]
        scope: ScopeArgs,
        /// The current session: its memories are the working tier and the recent conversation.
        #[arg(long)]
        current_session: Option<String>,
        /// Also list every candidate, chosen or dropped, with its score and reason.
        #[arg(long)]
        explain: bool,
        /// Token counter: `estimate` (⌈bytes/3⌉), or exact `cl100k` / `o200k` (needs a build
        /// with `--features tiktoken`).
        #[arg(long, default_value = "estimate", value_parser = ["estimate", "cl100k", "o200k"])]
        tokenizer: String,
    },
    /// The knowledge graph: add facts, show neighbourhoods, find paths.
    #[command(subcommand)]
    Graph(graph_cmd::GraphCmd),
    /// Run a query-language query, e.g. 'created_before:30d AND NOT pinned:true'.
    Query {
        /// The query (grammar: docs/query.md).
        query: String,
        /// The current session (defines tier:working).
        #[arg(long)]
        current_session: Option<String>,
        /// At most this many (0: all).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Database statistics.
    Stats,
    /// Run one compaction pass now: the decay policy (demote, archive, consolidate, delete) and
    /// log compaction. `--dry-run` prints the plan and changes nothing.
    Compact {
        /// Plan only: print what would be kept, demoted, archived, consolidated, deleted and why.
        #[arg(long)]
        dry_run: bool,
        /// A JSON file of compaction options (`policy`, `memories`, `actions_per_txn`, `log`);
        /// missing fields keep their defaults.
        #[arg(long)]
        options: Option<PathBuf>,
        /// Leave the event log as it is.
        #[arg(long)]
        no_log: bool,
        /// Afterwards give free space in the file back to the file system.
        #[arg(long)]
        reclaim: bool,
        /// List every planned action (text output; JSON always has them).
        #[arg(long)]
        actions: bool,
    },
    /// Check every checksum and invariant; non-zero exit on any problem.
    Verify,
    /// Rebuild derived structures and restore damaged records from the log.
    Repair,
    /// Test driver: stores memories forever, printing `ack <id> <n>` after each durable store
    /// (used by the crash tests, which kill it with SIGKILL at random moments). With `--mixed`,
    /// a random mix of every write instead (protocol in crash_mixed.rs).
    #[command(hide = true)]
    CrashWriter {
        /// Memories per batch (1: single durable stores).
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Start numbering here.
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// Store vectors of this dimension too (0: none).
        #[arg(long, default_value_t = 0)]
        dim: usize,
        /// Store each memory with two facts in the same transaction (`crash_facts`); one memory
        /// per transaction.
        #[arg(long)]
        graph: bool,
        /// Mixed workload: stores, batches, updates, deletes, events, graph writes, merges,
        /// compaction passes (crash_mixed.rs).
        #[arg(long)]
        mixed: bool,
        /// Seed of the mixed workload.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Build a database from the shipped sample and show what the engine does.
    Demo {
        /// Where to build it (default: a fresh temporary directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[allow(clippy::too_many_arguments)]
fn compact_cmd(
    db: &Path,
    out: &Out,
    dry_run: bool,
    options: Option<&Path>,
    no_log: bool,
    reclaim: bool,
    actions: bool,
) -> Result<()> {
    let mut opts: memspine::CompactOptions = match options {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
        }
        None => memspine::CompactOptions::default(),
    };
    if no_log {
        opts.log = None;
    }
    let mut spine = open(db)?;
    let report = spine.compact_with(&opts, dry_run)?;
    let reclaimed = if reclaim && !dry_run {
        Some(spine.reclaim_space()?)
    } else {
        None
    };
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        #[serde(flatten)]
        report: &'a memspine::CompactionReport,
        reclaimed: Option<(u64, u64)>,
    }
    let shown = Shown {
        report: &report,
        reclaimed,
    };
    out.value(&shown, |s| {
        let st = &s.report.stats;
        let mut t = String::new();
        if actions {
            for a in &s.report.plan.actions {
                t.push_str(&format!("{:<11} {:?}  {}\n", a.name(), a.ids(), a.reason()));
            }
        }
        t.push_str(&format!(
            "{}examined {} memories: kept {}, demoted {}, archived {}, deleted {}, consolidated {} into {}\n",
            if st.dry_run { "DRY RUN (nothing changed): " } else { "" },
            st.examined, st.kept, st.demoted, st.archived, st.deleted,
            st.consolidated_sources, st.consolidated_groups
        ));
        t.push_str(&format!(
            "log: {} pages merged, {} recompressed, {} events dropped\n",
            st.log_pages_merged, st.log_pages_recompressed, st.log_events_dropped
        ));
        if !s.report.skipped.is_empty() {
            t.push_str(&format!("skipped {} actions (memories changed meanwhile)\n", s.report.skipped.len()));
        }
        t.push_str(&format!(
            "{} transactions in {:.1} ms; {} -> {} bytes on disk",
            st.transactions, st.total_us as f64 / 1e3, st.bytes_before, st.bytes_after
        ));
        if let Some((b, a)) = s.reclaimed {
            t.push_str(&format!("\nreclaim: data file {b} -> {a} bytes"));
        }
        t
    });
    Ok(())
}

fn open(db: &Path) -> Result<Spine> {
    let opts = Options {
        create: false,
        ..Options::default()
    };
    Spine::open(db, opts).with_context(|| format!("opening {}", db.display()))
}

/// What dedup did with a stored memory, in words.
fn outcome_text(o: &StoreOutcome) -> String {
    match o {
        StoreOutcome::Stored => "stored".into(),
        StoreOutcome::Duplicate => "an exact duplicate: the existing memory's id".into(),
        StoreOutcome::Merged { similarity } => {
            format!("a near-duplicate (cosine {similarity:.3}) merged into the existing memory")
        }
        StoreOutcome::Flagged { of, similarity } => format!(
            "stored, flagged as a near-duplicate of {of} (cosine {similarity:.3}, tag {})",
            memspine::NEAR_DUPLICATE_TAG
        ),
    }
}

fn main() {
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    match run(cli, &out) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}

fn run(cli: Cli, out: &Out) -> Result<i32> {
    let db = cli.db.as_path();
    match cli.cmd {
        Cmd::Init { dimension } => {
            let opts = Options {
                dimension,
                ..Options::default()
            };
            let s = Spine::open(db, opts)?;
            out.line(&format!("initialised {}", s.path().display()));
        }
        Cmd::Store {
            content,
            tags,
            kind,
            metadata,
            importance,
            pinned,
            dedup,
            scope,
        } => {
            let metadata = metadata.map(|m| parse_json(&m, "--metadata")).transpose()?;
            let m = NewMemory {
                content,
                kind,
                tags,
                metadata,
                scope: scope.scope(),
                importance,
                pinned,
                created_at: None,
                vector: None,
                dedup,
            };
            let s = Spine::open(db, Options::default())?;
            let stored = s.store_detailed(m)?;
            // The id alone on stdout as before; what dedup did on stderr (JSON: both).
            match stored.outcome {
                _ if out.json => println!("{}", serde_json::json!(stored)),
                StoreOutcome::Stored => out.id(stored.id),
                other => {
                    out.id(stored.id);
                    eprintln!("dedup: {}", outcome_text(&other));
                }
            }
        }
        Cmd::Get { id } => out.memory(&open(db)?.get(id)?),
        Cmd::Update {
            id,
            content,
            tags,
            kind,
            metadata,
            importance,
            pinned,
        } => {
            let u = MemoryUpdate {
                content,
                tags,
                kind,
                metadata: metadata.map(|m| parse_json(&m, "--metadata")).transpose()?,
                importance,
                pinned,
                ..Default::default()
            };
            out.memory(&open(db)?.update(id, u)?);
        }
        Cmd::Delete { id } => {
            open(db)?.delete(id)?;
            out.line(&format!("deleted {id}"));
        }
        Cmd::History { id } => out.events(&open(db)?.history(id)?),
        Cmd::Recent { count, scope } => {
            out.memories(&open(db)?.recent_filtered(count, &scope.filter())?);
        }
        Cmd::Log { hours, event_type } => {
            out.events(&open(db)?.query_recent(hours, event_type.as_deref())?)
        }
        Cmd::Event {
            event_type,
            payload,
            scope,
        } => {
            let payload = parse_json(&payload, "payload")?;
            let seq = open(db)?.append_event(&event_type, payload, scope.scope())?;
            out.line(&format!("appended event {seq}"));
        }
        Cmd::Import { file } => import(db, &file, out)?,
        Cmd::Export {
            out: file,
            include_archived,
        } => {
            let s = open(db)?;
            let n = match file {
                Some(f) => {
                    let mut w = BufWriter::new(create_private(&f)?);
                    s.export(&mut w, include_archived)?
                }
                None => s.export(&mut std::io::stdout().lock(), include_archived)?,
            };
            eprintln!("exported {n} memories");
        }
        Cmd::List {
            scope,
            tags,
            kind,
            pinned,
            after,
            before,
            tier,
            current_session,
            limit,
        } => {
            let f = Filter {
                kind,
                tags,
                pinned: pinned.then_some(true),
                created_after: after.map(|t| parse_time(&t)).transpose()?,
                created_before: before.map(|t| parse_time(&t)).transpose()?,
                tier: tier.map(|t| t.parse()).transpose()?,
                current_session: current_session.clone(),
                include_archived: false,
                ..scope.filter()
            };
            let s = open(db)?;
            let ids: Vec<MemoryId> = s.filter_ids(&f)?.into_iter().take(limit).collect();
            out.memories(&s.get_many(&ids)?);
        }
        Cmd::Search {
            query,
            limit,
            mode,
            scope,
            tags,
            kind,
            exact,
        } => {
            let opts = memspine::SearchOptions {
                limit,
                mode: mode.parse()?,
                exact,
                filter: Filter {
                    kind,
                    tags,
                    ..scope.filter()
                },
                ..Default::default()
            };
            let hits = open(db)?.search(&query, &opts)?;
            out.value(&hits, |hs| {
                hs.iter()
                    .map(|h| format!("{:.3}  {}", h.score, output::memory_line(&h.memory)))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Cmd::Context {
            query,
            max_tokens,
            scope,
            current_session,
            explain,
            tokenizer,
        } => {
            let opts = memspine::ContextOptions {
                filter: Filter {
                    current_session,
                    ..scope.filter()
                },
                ..Default::default()
            };
            let counter = memspine::context::tokens::counter_by_name(&tokenizer)?;
            let w =
                open(db)?.llm_context_window_with(&query, max_tokens, &opts, counter.as_ref())?;
            out.value(&w, |w| {
                let mut t = w.text.clone();
                t.push_str(&format!(
                    "\n\n({} of {} tokens, {}{})",
                    w.tokens_used,
                    w.max_tokens,
                    w.token_counter,
                    if w.pinned_fit {
                        ""
                    } else {
                        "; some pinned memories did not fit"
                    }
                ));
                if explain {
                    for c in &w.chosen {
                        t.push_str(&format!(
                            "\nchosen  {:>6} {:.3} {:?}: {}",
                            c.id, c.score, c.section, c.why
                        ));
                    }
                    for d in &w.dropped {
                        t.push_str(&format!(
                            "\ndropped {:>6} {:.3} {:?}",
                            d.id, d.score, d.reason
                        ));
                    }
                    if !w.mentioned_entities.is_empty() {
                        t.push_str(&format!(
                            "\nentities in the query: {}",
                            w.mentioned_entities.join(", ")
                        ));
                    }
                    for f in &w.facts {
                        t.push_str(&format!(
                            "\nfact    edge {:>6}: {} {} {}",
                            f.fact.edge, f.fact.subject, f.fact.predicate, f.fact.object
                        ));
                    }
                    for d in &w.dropped_facts {
                        t.push_str(&format!("\ndropped edge {:>6} {:?}", d.edge, d.reason));
                    }
                }
                t
            });
        }
        Cmd::Graph(g) => {
            let s = Spine::open(db, Options::default())?;
            graph_cmd::run(&s, g, out)?;
        }
        Cmd::Query {
            query,
            current_session,
            limit,
        } => {
            let expr = match memspine::query::parse(&query) {
                Ok(e) => e,
                Err(e) => bail!("{e}"),
            };
            let opts = memspine::QueryOptions {
                current_session,
                limit,
                ..Default::default()
            };
            out.memories(&open(db)?.query(&expr, &opts)?);
        }
        Cmd::Stats => out.value(&open(db)?.stats()?, |s| format!("{s:#?}")),
        Cmd::Compact {
            dry_run,
            options,
            no_log,
            reclaim,
            actions,
        } => compact_cmd(
            db,
            out,
            dry_run,
            options.as_deref(),
            no_log,
            reclaim,
            actions,
        )?,
        Cmd::Verify => {
            let r = open(db)?.verify()?;
            out.value(&r, |r| {
                let mut t = format!(
                    "checked {} memories, {} events, {} pages, {} bitmaps\n",
                    r.memories, r.events, r.pages, r.bitmaps
                );
                for p in &r.problems {
                    t.push_str(&format!("PROBLEM: {p}\n"));
                }
                t.push_str(if r.is_ok() { "ok" } else { "FAILED" });
                t
            });
            return Ok(if r.is_ok() { 0 } else { 1 });
        }
        Cmd::Repair => {
            let r = open(db)?.repair()?;
            out.value(&r, |r| format!("{r:#?}"));
            return Ok(
                if r.unrecoverable_records.is_empty() && r.unreadable_log.is_empty() {
                    0
                } else {
                    1
                },
            );
        }
        Cmd::Demo { out: dir } => demo::run(dir, out)?,
        Cmd::CrashWriter {
            mixed: true,
            start,
            seed,
            ..
        } => crash_mixed::run(db, seed, start)?,
        Cmd::CrashWriter {
            batch,
            start,
            dim,
            graph,
            ..
        } => crash_writer(db, batch, start, dim, graph)?,
    }
    Ok(0)
}

fn import(db: &Path, file: &Path, out: &Out) -> Result<()> {
    let s = Spine::open(db, Options::default())?;
    let (mut reader, total): (Box<dyn std::io::BufRead>, u64) = if file == Path::new("-") {
        (Box::new(BufReader::new(std::io::stdin())), 0)
    } else {
        let f = File::open(file).with_context(|| format!("reading {}", file.display()))?;
        let len = f.metadata()?.len();
        (Box::new(BufReader::new(f)), len)
    };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if total < 1 << 20 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let r = s.import(&mut reader, &mut |b| bar.set_position(b))?;
    bar.finish_and_clear();
    out.value(&r, |r| format!("imported {} memories", r.imported));
    Ok(())
}

/// Creates (or truncates) a file readable by its owner only: an export holds private memories.
fn create_private(path: &Path) -> Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .with_context(|| format!("creating {}", path.display()))
}

fn parse_json(s: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).with_context(|| format!("{what} is not valid JSON"))
}

fn parse_time(s: &str) -> Result<u64> {
    match parse_rfc3339(s) {
        Some(t) => Ok(t),
        None => bail!("{s:?} is not an RFC 3339 time (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)"),
    }
}

/// The content the crash writer stores as its `n`-th memory; the crash test recomputes it.
fn crash_content(n: u64) -> String {
    format!("crash-test memory {n}: {}", "x".repeat((n % 97) as usize))
}

/// The vector the crash writer stores with its `n`-th memory; the crash test recomputes it.
fn crash_vector(n: u64, dim: usize) -> Vec<f32> {
    (0..dim)
        .map(|i| ((n * 31 + i as u64 * 17) % 101) as f32 - 50.0 + 0.5)
        .collect()
}

/// The facts the crash writer stores with its `n`-th memory in graph mode; the crash test
/// recomputes them: `(e{n % 300}, rel{n % 4}, e{(7n + 3) % 300})` and
/// `(e{n % 300}, at, place{n % 11})` with `at` single-valued.
fn crash_facts(n: u64) -> Vec<NewTriple> {
    let s = format!("e{}", n % 300);
    vec![
        NewTriple::new(
            &s,
            &format!("rel{}", n % 4),
            &format!("e{}", (7 * n + 3) % 300),
            0,
        ),
        NewTriple::new(&s, "at", &format!("place{}", n % 11), 0),
    ]
}

fn crash_writer(db: &Path, batch: usize, start: u64, dim: usize, graph: bool) -> Result<()> {
    use std::io::Write;
    let opts = Options {
        dimension: (dim > 0).then_some(dim),
        ..Options::default()
    };
    let s = Spine::open(db, opts)?;
    let mut out = std::io::stdout().lock();
    let mut n = start;
    if graph {
        s.declare_predicate("at", true)?;
        loop {
            let (id, _) = s.store_with_facts(NewMemory::new(crash_content(n)), crash_facts(n))?;
            writeln!(out, "ack {id} {n}")?;
            out.flush()?;
            n += 1;
        }
    }
    loop {
        let items: Vec<NewMemory> = (n..n + batch as u64)
            .map(|i| {
                let m = NewMemory::new(crash_content(i))
                    .user(format!("u{}", i % 7))
                    .tag(format!("t{}", i % 5));
                if dim > 0 {
                    m.vector(crash_vector(i, dim))
                } else {
                    m
                }
            })
            .collect();
        let ids = s.store_batch(items)?;
        for (k, id) in ids.iter().enumerate() {
            writeln!(out, "ack {id} {}", n + k as u64)?;
        }
        out.flush()?;
        n += batch as u64;
    }
}

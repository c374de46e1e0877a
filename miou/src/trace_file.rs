//! The trace file: a run's scheduling events written as Chrome trace-event JSON, which
//! Perfetto (<https://ui.perfetto.dev>) and `chrome://tracing` open. Asked for with
//! `MIOU_TRACE=path` or [`Builder::trace_file`](crate::Builder::trace_file).
//!
//! **Recording.** Each domain records into its own [`Recorder`], a field of its
//! `DomainLocal` that only the domain's thread touches: an event costs a clock read and
//! a push onto a `Vec`, never a lock or an atomic shared with other domains. The
//! recorder sees what [`TraceKind`] reports (through `DomainLocal::report`, the cold
//! path behind the `tracing` flag), plus the spawn site of each new task. A turn is kept
//! as one record, from its `Resume` to the `Yield`, `Park` or `Finish` that ends it;
//! the other events are kept as instants.
//!
//! **Bounded.** A recorder keeps at most [`TraceFile::limit`] records (a turn or an
//! instant each; [`DEFAULT_LIMIT`] unless `Builder::trace_file_limit` says otherwise),
//! the first ones of its domain, and counts the rest. What the writer derives from them
//! (the metadata, a `park` instant at the end of each turn that parked, the flow arrow
//! of each spawn) is not counted. A domain that dropped records gets an `events
//! dropped` instant at its end, and the file's `otherData` says how many in all.
//!
//! **Ending.** A recorder hands its records to the run's [`TraceFile`] when it is
//! dropped with its domain: at the end of the domain's loop, and also when the domain's
//! thread unwinds. Domain 0 writes the file once the workers are joined and its own
//! domain is dropped ([`WriteOnEnd::finish`]), or, when the run unwinds (a panic inside
//! the runtime itself, not a task's, which is caught), from [`WriteOnEnd`]'s `Drop`,
//! with the outcome `"unwound"`. The file is written to a temporary name next to it and
//! renamed, so that a reader never sees half a file and concurrent runs with the same
//! `MIOU_TRACE` leave one whole file (the last run to end wins). A write that fails is
//! reported (the `tracing` error event, or stderr without a subscriber), never a panic:
//! the run's result matters more than its trace.
//!
//! **Off.** With neither the variable nor the builder method, `RuntimeShared::trace_file`
//! is `None`, no recorder exists, and the hot path is unchanged: `DomainLocal::trace`
//! already tests one boolean (a reporter, `MIOU_DEBUG` or this file) before building any
//! event.
//!
//! **The format** (the JSON object form of the trace-event format): `traceEvents`, then
//! `displayTimeUnit` and `otherData` (the crate's version, where the run started, its
//! seed, its domains, the limit, the records dropped, the outcome). `pid` is the process,
//! `tid` the domain's index; timestamps are microseconds since the run started (real
//! time, also on the virtual clock), with nanosecond decimals.
//!
//! - `M` metadata: `process_name` (`miou run at <file:line:col>`), and `thread_name`
//!   (`domain N`) and `thread_sort_index` for every domain, even one that recorded
//!   nothing.
//! - `X` (cat `turn`): one per turn, named `<task id> <spawn site>` (the root's site is
//!   where the run started), with args `task`, `parent` (when its spawn was recorded),
//!   `end` (`yield`, `park`, `finish`, or `unfinished` when the domain unwound during
//!   the turn) and, for `finish`, `ok`.
//! - `i` (cat `task`, thread scope): `spawn` (args `task`, `parent`, `runner`,
//!   `spawned_at`), `stolen` (`from`), `cancel`, `wake`, `panic`, `rule broken`
//!   (`error`), `promise dropped` (`parent`, `spawned_at`), each with the `task` it is
//!   about. A `cancel` is on the track of the domain that asked for it; a `wake` is on
//!   the runner's track, when the runner took the task back (see [`TraceKind::Wake`]),
//!   so the gap from a `park` to the `wake` is the wait (for a wake from another thread,
//!   until the runner took the task from its mailbox), and from the `wake` to the next
//!   turn the time spent in the queue.
//! - `i` (cat `turn`): `park` at the end of each turn that parked.
//! - `s` and `f` (cat `spawn`, id the child's [`TaskId::as_u64`]): a flow arrow from a
//!   recorded spawn to the child's first recorded turn, across domains for a `call`.
//! - `i` (cat `miou`): `events dropped` (args `dropped`, `limit`) at the end of a domain
//!   that dropped records, and `run ends` (global scope, args `outcome`) on domain 0.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::panic::Location;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::id::DomainId;
use crate::id::TaskId;
use crate::trace::TraceKind;

/// How many records (turns and instants) each domain keeps by default: about 64 bytes
/// each in memory, so at most about 64 MB per domain, and a file Perfetto still opens
/// comfortably.
pub(crate) const DEFAULT_LIMIT: usize = 1_000_000;

/// The trace file of one run: where it goes, the settings, and the records of the
/// domains that ended.
pub(crate) struct TraceFile {
    path: PathBuf,
    /// The most records one domain keeps.
    limit: usize,
    /// Time zero of the file's timestamps.
    start: Instant,
    run_at: &'static Location<'static>,
    seed: u64,
    /// Domain 0 and the workers.
    domains: usize,
    /// Filled once per domain, when its recorder is dropped: the only lock, taken once
    /// per domain and run.
    ended: Mutex<Vec<Recorded>>,
}

/// How a run ended, for the file's `otherData` and its `run ends` event.
pub(crate) enum Outcome {
    Ok,
    /// The run failed (a broken rule, or the root panicked): the failure's message.
    Failed(String),
    /// A panic went through the runtime itself (not a task's panic, which is caught).
    Unwound,
}

impl TraceFile {
    pub(crate) fn new(
        path: PathBuf,
        limit: usize,
        run_at: &'static Location<'static>,
        seed: u64,
        domains: usize,
    ) -> Arc<TraceFile> {
        Arc::new(TraceFile {
            path,
            limit,
            start: Instant::now(),
            run_at,
            seed,
            domains,
            ended: Mutex::new(Vec::with_capacity(domains)),
        })
    }

    /// A recorder for `domain`, which hands its records back here when dropped.
    pub(crate) fn recorder(self: &Arc<TraceFile>, domain: DomainId) -> Recorder {
        Recorder {
            file: self.clone(),
            domain: domain.index(),
            records: Vec::new(),
            dropped: 0,
            open: None,
        }
    }

    /// Nanoseconds since the run started.
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Writes the file, and reports (never panics on) a failure to write it: this may
    /// run while the thread unwinds.
    fn write_reporting(&self, outcome: &Outcome) {
        if let Err(e) = self.write(outcome) {
            let path = self.path.display();
            if crate::runtime::subscriber_installed() {
                tracing::error!(path = %path, error = %e, "miou: cannot write the trace file");
            } else {
                eprintln!("miou: cannot write the trace file {path}: {e}");
            }
        }
    }

    /// Writes to a temporary file next to `path`, then renames it over `path`.
    fn write(&self, outcome: &Outcome) -> io::Result<()> {
        // Several runs of one process may end at once (tests, with `MIOU_TRACE` set):
        // each has its own temporary file.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(
            ".{}-{}.tmp",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = PathBuf::from(tmp);
        let end = self.now();
        let mut ended = std::mem::take(&mut *self.ended.lock().unwrap_or_else(|e| e.into_inner()));
        // Domains end in any order; the file lists them in order (easier to read).
        ended.sort_by_key(|r| r.domain);
        let written = File::create(&tmp).and_then(|f| {
            let mut out = BufWriter::new(f);
            self.write_json(&mut out, &ended, outcome, end)?;
            // No `sync_all`: the rename is for readers of a whole file, not for
            // durability, and a trace is not worth an fsync at the end of every run.
            out.into_inner().map(drop).map_err(|e| e.into_error())
        });
        match written.and_then(|()| std::fs::rename(&tmp, &self.path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// The whole JSON object: the events of every domain that ended, merged.
    fn write_json(
        &self,
        out: &mut dyn Write,
        ended: &[Recorded],
        outcome: &Outcome,
        end: u64,
    ) -> io::Result<()> {
        let pid = std::process::id();
        // Who spawned each task and where, from the spawns of every domain: a `call`ed
        // task's turns are on another domain than its spawn.
        let mut spawns: HashMap<TaskId, (TaskId, Option<&'static Location<'static>>)> =
            HashMap::new();
        // The first recorded turn of each task, where its flow arrow ends.
        let mut first_turn: HashMap<TaskId, (usize, u64)> = HashMap::new();
        for r in ended {
            for rec in &r.records {
                match *rec {
                    Record::Mark {
                        task,
                        mark: Mark::Spawn { parent, site, .. },
                        ..
                    } => {
                        spawns.insert(task, (parent, site));
                    }
                    Record::Turn { task, start, .. } => {
                        first_turn
                            .entry(task)
                            .and_modify(|f| {
                                if start < f.1 {
                                    *f = (r.domain, start);
                                }
                            })
                            .or_insert((r.domain, start));
                    }
                    Record::Mark { .. } => {}
                }
            }
        }
        let root = TaskId::new(0, 1);
        let site_of = |task: TaskId| match spawns.get(&task) {
            Some(&(_, site)) => site,
            None if task == root => Some(self.run_at),
            None => None,
        };

        out.write_all(b"{\"traceEvents\":[\n")?;
        let mut ev = Events { out, first: true };
        ev.event(format_args!(
            "{{\"ph\":\"M\",\"pid\":{pid},\"tid\":0,\"name\":\"process_name\",\"args\":{{\"name\":{}}}}}",
            Json(&format!("miou run at {}", self.run_at))
        ))?;
        for d in 0..self.domains {
            ev.event(format_args!(
                "{{\"ph\":\"M\",\"pid\":{pid},\"tid\":{d},\"name\":\"thread_name\",\"args\":{{\"name\":\"domain {d}\"}}}}"
            ))?;
            ev.event(format_args!(
                "{{\"ph\":\"M\",\"pid\":{pid},\"tid\":{d},\"name\":\"thread_sort_index\",\"args\":{{\"sort_index\":{d}}}}}"
            ))?;
        }
        let mut dropped = 0;
        for r in ended {
            let tid = r.domain;
            for rec in &r.records {
                match *rec {
                    Record::Turn {
                        task,
                        start,
                        end,
                        how,
                    } => {
                        let name = match site_of(task) {
                            Some(site) => format!("{task} {site}"),
                            None => task.to_string(),
                        };
                        let parent = match spawns.get(&task) {
                            Some((p, _)) => format!(",\"parent\":\"{p}\""),
                            None => String::new(),
                        };
                        let end_arg = match how {
                            TurnEnd::Yield => "\"yield\"",
                            TurnEnd::Park => "\"park\"",
                            TurnEnd::Finish { ok: true } => "\"finish\",\"ok\":true",
                            TurnEnd::Finish { ok: false } => "\"finish\",\"ok\":false",
                            TurnEnd::Unfinished => "\"unfinished\"",
                        };
                        ev.event(format_args!(
                            "{{\"ph\":\"X\",\"cat\":\"turn\",\"pid\":{pid},\"tid\":{tid},\"ts\":{},\"dur\":{},\"name\":{},\"args\":{{\"task\":\"{task}\"{parent},\"end\":{end_arg}}}}}",
                            Micros(start),
                            Micros(end.saturating_sub(start)),
                            Json(&name),
                        ))?;
                        if let TurnEnd::Park = how {
                            ev.event(format_args!(
                                "{{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"turn\",\"pid\":{pid},\"tid\":{tid},\"ts\":{},\"name\":\"park\",\"args\":{{\"task\":\"{task}\"}}}}",
                                Micros(end)
                            ))?;
                        }
                    }
                    Record::Mark { task, at, mark } => {
                        let (name, args) = match mark {
                            Mark::Spawn {
                                parent,
                                runner,
                                site,
                            } => {
                                let site = site.map_or(String::new(), |s| {
                                    format!(",\"spawned_at\":{}", Json(&s.to_string()))
                                });
                                (
                                    "spawn",
                                    format!(
                                        ",\"parent\":\"{parent}\",\"runner\":{}{site}",
                                        runner.index()
                                    ),
                                )
                            }
                            Mark::Stolen { from } => {
                                ("stolen", format!(",\"from\":{}", from.index()))
                            }
                            Mark::Cancel => ("cancel", String::new()),
                            Mark::Wake => ("wake", String::new()),
                            Mark::Panic => ("panic", String::new()),
                            Mark::RuleBroken { error } => {
                                ("rule broken", format!(",\"error\":{}", Json(error)))
                            }
                            Mark::PromiseDropped { parent, site } => (
                                "promise dropped",
                                format!(
                                    ",\"parent\":\"{parent}\",\"spawned_at\":{}",
                                    Json(&site.to_string())
                                ),
                            ),
                        };
                        ev.event(format_args!(
                            "{{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"task\",\"pid\":{pid},\"tid\":{tid},\"ts\":{},\"name\":\"{name}\",\"args\":{{\"task\":\"{task}\"{args}}}}}",
                            Micros(at)
                        ))?;
                        if let Mark::Spawn { .. } = mark
                            && let Some(&(to, first)) = first_turn.get(&task)
                        {
                            let id = task.as_u64();
                            ev.event(format_args!(
                                "{{\"ph\":\"s\",\"cat\":\"spawn\",\"id\":{id},\"pid\":{pid},\"tid\":{tid},\"ts\":{},\"name\":\"spawn\"}}",
                                Micros(at)
                            ))?;
                            ev.event(format_args!(
                                "{{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"spawn\",\"id\":{id},\"pid\":{pid},\"tid\":{to},\"ts\":{},\"name\":\"spawn\"}}",
                                Micros(first)
                            ))?;
                        }
                    }
                }
            }
            if r.dropped > 0 {
                dropped += r.dropped;
                ev.event(format_args!(
                    "{{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"miou\",\"pid\":{pid},\"tid\":{tid},\"ts\":{},\"name\":\"events dropped\",\"args\":{{\"dropped\":{},\"limit\":{}}}}}",
                    Micros(r.end),
                    r.dropped,
                    self.limit
                ))?;
            }
        }
        let (outcome, failure) = match outcome {
            Outcome::Ok => ("ok", None),
            Outcome::Failed(f) => ("failed", Some(f)),
            Outcome::Unwound => ("unwound", None),
        };
        ev.event(format_args!(
            "{{\"ph\":\"i\",\"s\":\"g\",\"cat\":\"miou\",\"pid\":{pid},\"tid\":0,\"ts\":{},\"name\":\"run ends\",\"args\":{{\"outcome\":\"{outcome}\"}}}}",
            Micros(end)
        ))?;
        let failure = failure.map_or(String::new(), |f| format!(",\"failure\":{}", Json(f)));
        write!(
            out,
            "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{{\"miou\":\"{}\",\"run_at\":{},\"seed\":\"{}\",\"domains\":{},\"events_limit_per_domain\":{},\"dropped_events\":{dropped},\"outcome\":\"{outcome}\"{failure}}}\n}}\n",
            env!("CARGO_PKG_VERSION"),
            Json(&self.run_at.to_string()),
            self.seed,
            self.domains,
            self.limit,
        )
    }
}

/// Writes the file when the run ends: [`finish`](WriteOnEnd::finish) with the outcome,
/// or, if the run unwinds first, `Drop` with [`Outcome::Unwound`]. Made before the
/// worker domains start and dropped after they are joined, so that every domain's
/// records are in.
pub(crate) struct WriteOnEnd(pub(crate) Option<Arc<TraceFile>>);

impl WriteOnEnd {
    /// Writes the file, if there is one, with the outcome `outcome` gives (called only
    /// then: a failure's message is not formatted for nothing).
    pub(crate) fn finish(mut self, outcome: impl FnOnce() -> Outcome) {
        if let Some(file) = self.0.take() {
            file.write_reporting(&outcome());
        }
    }
}

impl Drop for WriteOnEnd {
    fn drop(&mut self) {
        if let Some(file) = self.0.take() {
            file.write_reporting(&Outcome::Unwound);
        }
    }
}

/// One domain's records, as its thread keeps them (see the module doc).
pub(crate) struct Recorder {
    file: Arc<TraceFile>,
    domain: usize,
    records: Vec<Record>,
    dropped: u64,
    /// The turn under way: its task, and when it began.
    open: Option<(TaskId, u64)>,
}

impl Recorder {
    /// Records an event of this domain; `site` is the spawn site of a `Spawn`'s task.
    pub(crate) fn record(
        &mut self,
        task: TaskId,
        kind: &TraceKind,
        site: Option<&'static Location<'static>>,
    ) {
        let at = self.file.now();
        let mark = match *kind {
            TraceKind::Resume => {
                // A turn always ends before the next begins; were one still open, its
                // end was lost: close it rather than drop it.
                if let Some((open, _)) = self.open {
                    self.close(open, at, TurnEnd::Unfinished);
                }
                self.open = Some((task, at));
                return;
            }
            TraceKind::Yield => return self.close(task, at, TurnEnd::Yield),
            TraceKind::Park => return self.close(task, at, TurnEnd::Park),
            TraceKind::Finish { ok } => return self.close(task, at, TurnEnd::Finish { ok }),
            TraceKind::Spawn { parent, runner } => Mark::Spawn {
                parent,
                runner,
                site,
            },
            TraceKind::Stolen { from } => Mark::Stolen { from },
            TraceKind::Cancel => Mark::Cancel,
            TraceKind::Wake => Mark::Wake,
            TraceKind::Panic => Mark::Panic,
            TraceKind::RuleBroken { error } => Mark::RuleBroken { error },
            TraceKind::PromiseDropped { parent, spawned_at } => Mark::PromiseDropped {
                parent,
                site: spawned_at,
            },
        };
        self.push(Record::Mark { task, at, mark });
    }

    /// Ends the turn of `task` at `at`. A turn's events all come from its own domain,
    /// between its `Resume` and its end, so the open turn is `task`'s; if it is not (a
    /// bug elsewhere), the end is kept as a turn of no length rather than lost.
    fn close(&mut self, task: TaskId, at: u64, how: TurnEnd) {
        let start = match self.open {
            Some((open, start)) if open == task => {
                self.open = None;
                start
            }
            _ => at,
        };
        self.push(Record::Turn {
            task,
            start,
            end: at,
            how,
        });
    }

    fn push(&mut self, record: Record) {
        if self.records.len() < self.file.limit {
            self.records.push(record);
        } else {
            self.dropped += 1;
        }
    }
}

impl Drop for Recorder {
    /// Hands the records to the run's file. A turn still open means the domain's thread
    /// is unwinding in the middle of it: it is kept, ending now.
    fn drop(&mut self) {
        let end = self.file.now();
        if let Some((task, _)) = self.open {
            self.close(task, end, TurnEnd::Unfinished);
        }
        let recorded = Recorded {
            domain: self.domain,
            records: std::mem::take(&mut self.records),
            dropped: self.dropped,
            end,
        };
        self.file
            .ended
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(recorded);
    }
}

/// A domain's records once it ended.
struct Recorded {
    domain: usize,
    records: Vec<Record>,
    dropped: u64,
    /// When the domain ended (where its `events dropped` instant goes).
    end: u64,
}

/// One record: a turn, or an instant. Times are nanoseconds since the run started.
#[derive(Clone, Copy)]
enum Record {
    Turn {
        task: TaskId,
        start: u64,
        end: u64,
        how: TurnEnd,
    },
    Mark {
        task: TaskId,
        at: u64,
        mark: Mark,
    },
}

/// How a turn ended.
#[derive(Clone, Copy)]
enum TurnEnd {
    Yield,
    Park,
    Finish {
        ok: bool,
    },
    /// The domain stopped during the turn (its thread unwound).
    Unfinished,
}

/// The instants: what [`TraceKind`] reports besides the start and end of turns.
#[derive(Clone, Copy)]
enum Mark {
    Spawn {
        parent: TaskId,
        runner: DomainId,
        site: Option<&'static Location<'static>>,
    },
    Stolen {
        from: DomainId,
    },
    Cancel,
    Wake,
    Panic,
    RuleBroken {
        error: &'static str,
    },
    PromiseDropped {
        parent: TaskId,
        site: &'static Location<'static>,
    },
}

/// Writes the events of the array, a comma between two, one per line.
struct Events<'a> {
    out: &'a mut dyn Write,
    first: bool,
}

impl Events<'_> {
    fn event(&mut self, e: std::fmt::Arguments<'_>) -> io::Result<()> {
        if !std::mem::replace(&mut self.first, false) {
            self.out.write_all(b",\n")?;
        }
        self.out.write_fmt(e)
    }
}

/// Nanoseconds, displayed as microseconds with three decimals (the format's unit).
struct Micros(u64);

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A string as a JSON string literal, quotes included.
struct Json<'a>(&'a str);

impl std::fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::{Json, Micros};

    #[test]
    fn strings_are_escaped_and_times_are_microseconds() {
        assert_eq!(
            Json("a \"b\" c:\\d\n\t\u{1}é").to_string(),
            r#""a \"b\" c:\\d\n\t\u0001é""#
        );
        assert_eq!(Micros(0).to_string(), "0.000");
        assert_eq!(Micros(1_234_567).to_string(), "1234.567");
        assert_eq!(Micros(5).to_string(), "0.005");
    }

    /// What `DEFAULT_LIMIT`'s documentation (and `Builder::trace_file_limit`'s) says a
    /// kept event costs.
    #[test]
    fn a_record_is_at_most_64_bytes() {
        assert!(std::mem::size_of::<super::Record>() <= 64);
    }
}

//! A seeded random task-tree generator: for each seed, build a random tree of spawn /
//! call / yield / panic / cancel / await_first / await_one / orphans / owned resources
//! (released, transferred, disowned, given, kept) and run it on `domains(2)` or `domains(3)` with a
//! random quanta. Checked:
//!
//! - every result a task observes is what the generator predicts (values, panic
//!   messages, which children `await_first`/`await_one` may pick);
//! - when a task has awaited or cancelled a child (or `await_first` returned), that
//!   child's whole subtree is gone: every guard held by a future of the subtree was
//!   dropped and every resource it still held was finalised (per-subtree counters);
//! - after `run` returns, no guard is alive (no task outlived the run), every finaliser
//!   ran exactly once, except for disowned resources (never);
//! - the root returns the predicted value.
//!
//! To replay one seed: `MIOU_STRESS_SEED=28 MIOU_STRESS_REPEAT=50 cargo test -p miou
//! --test stress random_task_trees` (the seed of each family is its index).
//!
//! A second family of seeds ("fatal") makes one task on an awaited path break a rule
//! (`StillHasChildren` or `ResourceLeaked`): `try_run` must return that error, and
//! everything must still be cleaned up.

mod common;

use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::{Alive, Guard, Rng, forever, payload_text, watchdog};
use miou::{
    Builder, Error, Orphans, Ownership, Promise, Spawn, await_first, await_one, call, cancel,
    spawn, yield_now,
};

/// Seeds per family: the whole file runs in 3 to 9 s in debug on 2 shared cores.
const SEEDS: u64 = 2500;
const FATAL_SEEDS: u64 = 1000;

// ---------------------------------------------------------------------------------
// The plan: pure data, `Send`, so that it can travel with a `call`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Return,
    Panic,
    /// Loops on `yield_now` after its actions, until cancelled.
    Forever,
}

#[derive(Clone, Copy, Debug)]
enum Place {
    Spawn,
    Call,
}

#[derive(Clone, Copy, Debug)]
enum Res {
    /// Released by its owner at once.
    Release,
    /// Transferred to the parent, which releases it before returning.
    Transfer,
    /// Disowned: never finalised by miou.
    Disown,
    /// Kept until the task returns (released then), panics or is cancelled (finalised by
    /// the runtime).
    Keep,
}

#[derive(Clone, Copy, Debug)]
enum Rule {
    StillHasChildren,
    ResourceLeaked,
}

#[derive(Clone, Debug)]
enum Action {
    Yield(u8),
    Resource(Res),
    /// Start a finite child and await it (optionally giving it a resource).
    Await {
        place: Place,
        child: Node,
        give: bool,
    },
    /// Start any child, yield `after` times, cancel it.
    Cancel {
        place: Place,
        child: Node,
        after: u8,
    },
    /// Quick local leaves and `Forever` children, raced with `await_first`.
    First(Vec<(Place, Node)>),
    /// The same with `await_one`; the rest are awaited (quick) or cancelled.
    One(Vec<(Place, Node)>),
    /// Finite children in an `Orphans`, drained with `get`.
    Orphans(Vec<(Place, Node)>),
    /// Fatal seeds only: break a rule (then return).
    Break(Rule),
}

#[derive(Clone, Debug)]
struct Node {
    id: u32,
    actions: Vec<Action>,
    end: End,
}

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Value(u64),
    Panic(String),
}

fn value(id: u32) -> u64 {
    id as u64 * 1000 + 7
}

fn message(id: u32) -> String {
    format!("node {id} panics")
}

impl Node {
    fn predicted(&self) -> Option<Outcome> {
        match self.end {
            End::Return => Some(Outcome::Value(value(self.id))),
            End::Panic => Some(Outcome::Panic(message(self.id))),
            End::Forever => None,
        }
    }

    /// Finishes in its first turn (no scheduling point).
    fn is_quick(&self) -> bool {
        self.actions.is_empty() && self.end != End::Forever
    }
}

fn observed(r: Result<u64, Error>) -> Result<Outcome, String> {
    match r {
        Ok(v) => Ok(Outcome::Value(v)),
        Err(Error::Panicked(p)) => Ok(Outcome::Panic(
            p.message().unwrap_or("<non-string>").to_string(),
        )),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// What `await_first`/`await_one` may return for a selection: one of the quick `Ok`
/// leaves if any (all quick leaves are complete when the selection is made, and `Ok`
/// is preferred), else one of the quick panics. `Forever` children never finish.
fn winners(children: &[(Place, Node)]) -> Vec<Outcome> {
    let quick: Vec<Outcome> = children
        .iter()
        .filter(|(_, n)| n.is_quick())
        .filter_map(|(_, n)| n.predicted())
        .collect();
    let oks: Vec<Outcome> = quick
        .iter()
        .filter(|o| matches!(o, Outcome::Value(_)))
        .cloned()
        .collect();
    if oks.is_empty() { quick } else { oks }
}

// ---------------------------------------------------------------------------------
// The generator.

const MAX_DEPTH: u32 = 4;
const MAX_NODES: u32 = 60;

struct Gen {
    rng: Rng,
    next: u32,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng::new(seed),
            next: 0,
        }
    }

    fn id(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn place(&mut self) -> Place {
        if self.rng.chance(1, 2) {
            Place::Spawn
        } else {
            Place::Call
        }
    }

    fn finite_end(&mut self) -> End {
        if self.rng.chance(1, 4) {
            End::Panic
        } else {
            End::Return
        }
    }

    fn any_end(&mut self) -> End {
        match self.rng.below(3) {
            0 => End::Forever,
            _ => self.finite_end(),
        }
    }

    fn full(&self, depth: u32) -> bool {
        depth >= MAX_DEPTH || self.next >= MAX_NODES
    }

    fn node(&mut self, depth: u32, end: End, root: bool) -> Node {
        let id = self.id();
        let n = if self.full(depth) {
            self.rng.below(2)
        } else {
            1 + self.rng.below(3)
        };
        let actions = (0..n).map(|_| self.action(depth, root)).collect();
        Node { id, actions, end }
    }

    fn quick_leaf(&mut self) -> Node {
        let end = self.finite_end();
        Node {
            id: self.id(),
            actions: Vec::new(),
            end,
        }
    }

    fn action(&mut self, depth: u32, root: bool) -> Action {
        let k = if self.full(depth) {
            self.rng.below(2)
        } else {
            self.rng.below(8)
        };
        match k {
            0 => Action::Yield(1 + self.rng.below(2) as u8),
            1 => Action::Resource(match self.rng.below(4) {
                0 => Res::Release,
                1 if !root => Res::Transfer,
                2 => Res::Disown,
                _ => Res::Keep,
            }),
            2 | 3 => {
                let place = self.place();
                let end = self.finite_end();
                Action::Await {
                    place,
                    child: self.node(depth + 1, end, false),
                    give: self.rng.chance(1, 4),
                }
            }
            4 => {
                let place = self.place();
                let end = self.any_end();
                Action::Cancel {
                    place,
                    child: self.node(depth + 1, end, false),
                    after: self.rng.below(3) as u8,
                }
            }
            5 => Action::First(self.selection(depth)),
            6 => Action::One(self.selection(depth)),
            _ => {
                let n = 1 + self.rng.below(3);
                Action::Orphans(
                    (0..n)
                        .map(|_| {
                            let place = self.place();
                            let end = self.finite_end();
                            (place, self.node(depth + 1, end, false))
                        })
                        .collect(),
                )
            }
        }
    }

    /// 1 to 3 quick leaves on this domain, and 0 to 2 children that never finish.
    fn selection(&mut self, depth: u32) -> Vec<(Place, Node)> {
        let mut v = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            v.push((Place::Spawn, self.quick_leaf()));
        }
        for _ in 0..self.rng.below(3) {
            let place = self.place();
            v.push((place, self.node(depth + 1, End::Forever, false)));
        }
        for i in (1..v.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
        v
    }

    /// Fatal seeds: walk down from the root through awaited children and make the
    /// node where the walk stops break `rule` just before it returns.
    fn designate(&mut self, node: &mut Node, rule: Rule) {
        let awaited: Vec<usize> = node
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a, Action::Await { .. }))
            .map(|(i, _)| i)
            .collect();
        if awaited.is_empty() || self.rng.chance(1, 3) {
            node.end = End::Return;
            node.actions.push(Action::Break(rule));
            return;
        }
        let i = awaited[self.rng.below(awaited.len() as u64) as usize];
        if let Action::Await { child, .. } = &mut node.actions[i] {
            self.designate(child, rule);
        }
    }
}

// ---------------------------------------------------------------------------------
// Running a plan.

/// What every task of one run shares.
struct World {
    alive: Alive,
    resources: Mutex<Vec<Arc<Record>>>,
    errors: Mutex<Vec<String>>,
    /// Off for fatal seeds: once the run fails, tasks are torn down mid-way and their
    /// observations are not the plan's.
    checks: bool,
}

/// One resource: how many times its finaliser ran, whether it was disowned, and the
/// subtree counters it is counted in until it is finalised or disowned.
struct Record {
    finalised: AtomicUsize,
    disowned: AtomicBool,
    scopes: Mutex<Vec<Arc<AtomicIsize>>>,
}

type Scope = Arc<AtomicIsize>;
type Inbox = Arc<Mutex<Vec<Ownership>>>;

/// A task's context: the counters of its subtree and of its ancestors' (last = its
/// own), and where its transfers go (its parent's inbox).
#[derive(Clone)]
struct Ctx {
    world: Arc<World>,
    scopes: Vec<Scope>,
    parent_inbox: Option<Inbox>,
}

/// Held by each task's future: counts one in every scope of the task.
struct ScopedGuard {
    scopes: Vec<Scope>,
    _alive: Guard,
}

impl ScopedGuard {
    fn new(ctx: &Ctx) -> ScopedGuard {
        for s in &ctx.scopes {
            s.fetch_add(1, Ordering::SeqCst);
        }
        ScopedGuard {
            scopes: ctx.scopes.clone(),
            _alive: ctx.world.alive.guard(),
        }
    }
}

impl Drop for ScopedGuard {
    fn drop(&mut self) {
        for s in &self.scopes {
            s.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Ctx {
    fn check(&self, ok: bool, what: impl FnOnce() -> String) {
        if !ok && self.world.checks {
            self.world.errors.lock().unwrap().push(what());
        }
    }

    /// A resource owned by the current task, counted in its scopes.
    fn resource(&self) -> (Ownership, Arc<Record>) {
        for s in &self.scopes {
            s.fetch_add(1, Ordering::SeqCst);
        }
        let rec = Arc::new(Record {
            finalised: AtomicUsize::new(0),
            disowned: AtomicBool::new(false),
            scopes: Mutex::new(self.scopes.clone()),
        });
        self.world.resources.lock().unwrap().push(rec.clone());
        let r2 = rec.clone();
        let r = Ownership::create((), move |()| {
            r2.finalised.fetch_add(1, Ordering::SeqCst);
            for s in r2.scopes.lock().unwrap().drain(..) {
                s.fetch_sub(1, Ordering::SeqCst);
            }
        });
        self.check(r.own().is_ok(), || "own a fresh resource".into());
        (r, rec)
    }
}

type Task = Pin<Box<dyn Future<Output = u64>>>;

/// Prepares a child: its context (a new scope), the guard its future holds, and the
/// closure that builds its future (on whatever domain runs it).
fn prepare(
    node: Node,
    ctx: &Ctx,
    inbox: &Inbox,
    given: Option<(&Ownership, &Arc<Record>)>,
) -> (impl FnOnce() -> Task + Send + 'static, Scope) {
    let scope: Scope = Arc::default();
    let mut child = ctx.clone();
    child.scopes.push(scope.clone());
    child.parent_inbox = Some(inbox.clone());
    let guard = ScopedGuard::new(&child);
    let given = given.map(|(r, rec)| {
        // From now on the resource also counts in the child's subtree.
        scope.fetch_add(1, Ordering::SeqCst);
        rec.scopes.lock().unwrap().push(scope.clone());
        r.clone()
    });
    (move || task(node, child, guard, given), scope)
}

fn start(
    place: Place,
    node: Node,
    ctx: &Ctx,
    inbox: &Inbox,
    given: Option<(&Ownership, &Arc<Record>)>,
) -> (Promise<u64>, Scope) {
    let r = given.map(|(r, _)| r.clone());
    let (make, scope) = prepare(node, ctx, inbox, given);
    let p = match (place, r) {
        (Place::Spawn, None) => spawn(make()),
        (Place::Call, None) => call(make),
        (Place::Spawn, Some(r)) => Spawn::new().give(&r).spawn(make()),
        (Place::Call, Some(r)) => Spawn::new().give(&r).call(make),
    };
    (p, scope)
}

fn gone(scope: &Scope) -> bool {
    scope.load(Ordering::SeqCst) == 0
}

fn task(node: Node, ctx: Ctx, guard: ScopedGuard, given: Option<Ownership>) -> Task {
    Box::pin(async move {
        let _guard = guard;
        let id = node.id;
        let inbox: Inbox = Arc::default();
        let mut keep: Vec<Ownership> = Vec::new();
        if let Some(r) = given {
            ctx.check(r.check().is_ok(), || {
                format!("node {id}: owns what it was given")
            });
            keep.push(r);
        }
        for action in node.actions {
            match action {
                Action::Yield(n) => {
                    for _ in 0..n {
                        yield_now().await;
                    }
                }
                Action::Resource(kind) => {
                    let (r, rec) = ctx.resource();
                    match kind {
                        Res::Release => {
                            ctx.check(r.release().is_ok(), || format!("node {id}: release"));
                        }
                        Res::Transfer => {
                            ctx.check(r.transfer().is_ok(), || format!("node {id}: transfer"));
                            // It now counts in the parent's subtree, not in ours.
                            if let Some(s) = rec.scopes.lock().unwrap().pop() {
                                s.fetch_sub(1, Ordering::SeqCst);
                            }
                            let parent = ctx.parent_inbox.as_ref().expect("not the root");
                            parent.lock().unwrap().push(r);
                        }
                        Res::Disown => {
                            ctx.check(r.disown().is_ok(), || format!("node {id}: disown"));
                            rec.disowned.store(true, Ordering::SeqCst);
                            for s in rec.scopes.lock().unwrap().drain(..) {
                                s.fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                        Res::Keep => keep.push(r),
                    }
                }
                Action::Await { place, child, give } => {
                    let predicted = child.predicted().expect("awaited children are finite");
                    let cid = child.id;
                    let res = if give { Some(ctx.resource()) } else { None };
                    let given = res.as_ref().map(|(r, rec)| (r, rec));
                    let (p, scope) = start(place, child, &ctx, &inbox, given);
                    let r = observed(p.await);
                    ctx.check(r.as_ref() == Ok(&predicted), || {
                        format!("node {id}: child {cid} gave {r:?}, predicted {predicted:?}")
                    });
                    ctx.check(gone(&scope), || {
                        format!("node {id}: child {cid}'s subtree outlived its await")
                    });
                }
                Action::Cancel {
                    place,
                    child,
                    after,
                } => {
                    let cid = child.id;
                    let (p, scope) = start(place, child, &ctx, &inbox, None);
                    for _ in 0..after {
                        yield_now().await;
                    }
                    cancel(p).await;
                    ctx.check(gone(&scope), || {
                        format!("node {id}: child {cid}'s subtree outlived cancel")
                    });
                }
                Action::First(children) => {
                    let expect = winners(&children);
                    let (ps, scopes): (Vec<_>, Vec<_>) = children
                        .into_iter()
                        .map(|(place, n)| start(place, n, &ctx, &inbox, None))
                        .unzip();
                    let r = observed(await_first(ps).await);
                    ctx.check(r.as_ref().is_ok_and(|o| expect.contains(o)), || {
                        format!("node {id}: await_first gave {r:?}, expected one of {expect:?}")
                    });
                    ctx.check(scopes.iter().all(gone), || {
                        format!("node {id}: a subtree outlived await_first")
                    });
                }
                Action::One(children) => {
                    let expect = winners(&children);
                    let mut nodes = HashMap::new();
                    let mut scopes = Vec::new();
                    let mut ps = Vec::new();
                    for (place, n) in children {
                        let (p, scope) = start(place, n.clone(), &ctx, &inbox, None);
                        nodes.insert(p.id(), n);
                        scopes.push(scope);
                        ps.push(p);
                    }
                    let (r, rest) = await_one(ps).await;
                    let r = observed(r);
                    ctx.check(r.as_ref().is_ok_and(|o| expect.contains(o)), || {
                        format!("node {id}: await_one gave {r:?}, expected one of {expect:?}")
                    });
                    for p in rest {
                        let n = &nodes[&p.id()];
                        if n.is_quick() {
                            let predicted = n.predicted();
                            let r = observed(p.await).ok();
                            ctx.check(r == predicted, || {
                                format!("node {id}: rest {} gave {r:?}", n.id)
                            });
                        } else {
                            cancel(p).await;
                        }
                    }
                    ctx.check(scopes.iter().all(gone), || {
                        format!("node {id}: a subtree outlived await_one and its rest")
                    });
                }
                Action::Orphans(children) => {
                    let o = Orphans::new();
                    let mut expect: Vec<Outcome> = Vec::new();
                    let mut scopes = Vec::new();
                    for (place, n) in children {
                        expect.push(n.predicted().expect("finite"));
                        let (make, scope) = prepare(n, &ctx, &inbox, None);
                        scopes.push(scope);
                        match place {
                            Place::Spawn => o.spawn(make()),
                            Place::Call => o.call(make),
                        }
                    }
                    while let Some(r) = o.get().await {
                        let r = observed(r);
                        match r
                            .as_ref()
                            .ok()
                            .and_then(|o| expect.iter().position(|e| e == o))
                        {
                            Some(i) => {
                                expect.swap_remove(i);
                            }
                            None => ctx.check(false, || {
                                format!("node {id}: orphan gave {r:?}, expected {expect:?}")
                            }),
                        }
                    }
                    ctx.check(expect.is_empty(), || {
                        format!("node {id}: orphans never gave {expect:?}")
                    });
                    ctx.check(scopes.iter().all(gone), || {
                        format!("node {id}: an orphan's subtree outlived get")
                    });
                }
                Action::Break(Rule::StillHasChildren) => {
                    let forgotten = Node {
                        id: 0,
                        actions: Vec::new(),
                        end: End::Forever,
                    };
                    let _ = start(Place::Spawn, forgotten, &ctx, &inbox, None);
                }
                Action::Break(Rule::ResourceLeaked) => {
                    let (_leaked, _) = ctx.resource();
                }
            }
        }
        match node.end {
            End::Return => {
                for r in keep.into_iter().chain(inbox.lock().unwrap().drain(..)) {
                    ctx.check(r.release().is_ok(), || format!("node {id}: final release"));
                }
                value(id)
            }
            End::Panic => panic!("{}", message(id)),
            End::Forever => {
                forever().await;
                unreachable!()
            }
        }
    })
}

/// Runs one plan and returns the problems found (empty: all good).
fn run_plan(seed: u64, root: Node, quanta: usize, expected: Result<u64, Rule>) -> Vec<String> {
    let world = Arc::new(World {
        alive: Alive::new(),
        resources: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
        checks: expected.is_ok(),
    });
    let w = world.clone();
    let plan = root.clone();
    let r = catch_unwind(AssertUnwindSafe(|| {
        watchdog(20, move || {
            // Even seeds on 2 worker domains, odd ones on 3.
            Builder::new()
                .domains(2 + (seed % 2) as usize)
                .quanta(quanta)
                .seed(seed)
                .try_run(async move {
                    let ctx = Ctx {
                        world: w,
                        scopes: Vec::new(),
                        parent_inbox: None,
                    };
                    let guard = ScopedGuard::new(&ctx);
                    task(plan, ctx, guard, None).await
                })
        })
    }));
    let r = match r {
        Ok(r) => r,
        // A hang (the watchdog) or a panic of the runtime itself.
        Err(p) => return vec![format!("the run did not return: {}", payload_text(&*p))],
    };
    let mut problems = world.errors.lock().unwrap().clone();
    match (&expected, &r) {
        (Ok(v), Ok(got)) if v == got => {}
        (Err(Rule::StillHasChildren), Err(Error::StillHasChildren)) => {}
        (Err(Rule::ResourceLeaked), Err(Error::ResourceLeaked)) => {}
        _ => problems.push(format!("the run gave {r:?}, expected {expected:?}")),
    }
    if world.alive.live() != 0 {
        problems.push(format!(
            "{} of {} task guards outlived the run",
            world.alive.live(),
            world.alive.created()
        ));
    }
    for (i, rec) in world.resources.lock().unwrap().iter().enumerate() {
        let n = rec.finalised.load(Ordering::SeqCst);
        let want = if rec.disowned.load(Ordering::SeqCst) {
            0
        } else {
            1
        };
        if n != want {
            problems.push(format!(
                "resource {i}: finalised {n} times, expected {want}"
            ));
        }
    }
    problems
}

/// How many of each kind of action and placement a plan holds (printed, to see that
/// the generator covers everything).
#[derive(Default, Debug)]
struct Mix {
    tasks: usize,
    calls: usize,
    panics: usize,
    forever: usize,
    awaits: usize,
    gives: usize,
    cancels: usize,
    firsts: usize,
    ones: usize,
    orphans: usize,
    resources: usize,
    transfers: usize,
}

impl Mix {
    fn add(&mut self, place: Option<Place>, n: &Node) {
        self.tasks += 1;
        self.calls += matches!(place, Some(Place::Call)) as usize;
        self.panics += (n.end == End::Panic) as usize;
        self.forever += (n.end == End::Forever) as usize;
        for a in &n.actions {
            match a {
                Action::Yield(_) | Action::Break(_) => {}
                Action::Resource(r) => {
                    self.resources += 1;
                    self.transfers += matches!(r, Res::Transfer) as usize;
                }
                Action::Await { place, child, give } => {
                    self.awaits += 1;
                    self.gives += *give as usize;
                    self.add(Some(*place), child);
                }
                Action::Cancel { place, child, .. } => {
                    self.cancels += 1;
                    self.add(Some(*place), child);
                }
                Action::First(cs) | Action::One(cs) | Action::Orphans(cs) => {
                    match a {
                        Action::First(_) => self.firsts += 1,
                        Action::One(_) => self.ones += 1,
                        _ => self.orphans += 1,
                    }
                    for (p, c) in cs {
                        self.add(Some(*p), c);
                    }
                }
            }
        }
    }
}

fn quanta_for(seed: u64) -> usize {
    1 + (seed % 3) as usize
}

/// The planned panics (`node N panics`) would flood stderr: keep the default panic
/// message for every other panic only.
fn quiet_planned_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = payload_text(info.payload());
            let planned = text.starts_with("node ") && text.ends_with(" panics");
            if !planned {
                default(info)
            }
        }));
    });
}

/// Runs every seed of a family and fails with each failing seed's first problem,
/// and the full report (problems and plan) of the first one.
fn run_family(name: &str, seeds: u64, plan: impl Fn(u64) -> (Node, Result<u64, Rule>)) {
    quiet_planned_panics();
    let start = Instant::now();
    let mut mix = Mix::default();
    let mut failed = Vec::new();
    let mut first_report = None;
    let only: Option<u64> = std::env::var("MIOU_STRESS_SEED")
        .ok()
        .map(|s| s.parse().expect("MIOU_STRESS_SEED: a seed number"));
    let repeat: usize = std::env::var("MIOU_STRESS_REPEAT")
        .ok()
        .map_or(1, |s| s.parse().expect("MIOU_STRESS_REPEAT: a number"));
    let chosen: Vec<u64> = match only {
        Some(seed) => vec![seed; repeat],
        None => (0..seeds).collect(),
    };
    let runs = chosen.len();
    for seed in chosen {
        let (root, expected) = plan(seed);
        mix.add(None, &root);
        let quanta = quanta_for(seed);
        let problems = run_plan(seed, root.clone(), quanta, expected);
        if let Some(p) = problems.first() {
            failed.push(format!("seed {seed} (quanta {quanta}): {p}"));
            first_report.get_or_insert_with(|| format!("{problems:#?}\nplan: {root:#?}"));
        }
    }
    eprintln!("{name}: {runs} runs in {:?}: {mix:?}", start.elapsed());
    assert!(
        failed.is_empty(),
        "{name}: {} of {runs} runs failed:\n{}\nfirst failure: {}",
        failed.len(),
        failed.join("\n"),
        first_report.unwrap_or_default()
    );
}

#[test]
fn random_task_trees() {
    run_family("random trees", SEEDS, |seed| {
        let mut g = Gen::new(seed);
        let root = g.node(0, End::Return, true);
        let expected = Ok(value(root.id));
        (root, expected)
    });
}

#[test]
fn random_task_trees_breaking_a_rule() {
    run_family("rule-breaking trees", FATAL_SEEDS, |seed| {
        let mut g = Gen::new(seed ^ 0xFA7A1);
        let mut root = g.node(0, End::Return, true);
        let rule = if seed % 2 == 0 {
            Rule::StillHasChildren
        } else {
            Rule::ResourceLeaked
        };
        g.designate(&mut root, rule);
        (root, Err(rule))
    });
}

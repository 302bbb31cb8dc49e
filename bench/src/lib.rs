//! What every part of `make bench` shares: the [`Row`] a measurement is reported as, and the
//! [`Env`] `bench/run.sh` hands to every section.
//!
//! A **section** is a file `bench/<key>.sh` defining a shell function `bench_<key> <out>`
//! (e.g. `bench/customers.sh`); `run.sh` sources it and calls it once the suite is up and
//! seeded, bounded by `BENCH_SECTION_TIMEOUT` seconds (the whole process group is stopped
//! after that), with the environment of [`Env`] (and `CARGO_TARGET_DIR`, the release binaries
//! built). It writes its figures to `<out>`, either as rows — one [`Row`] per line, e.g. from a
//! `kuaidi-bench-<key>` binary calling [`Row::print`] — or as one JSON object of its own
//! shape, which is kept as it is in `bench/results.json` under `sections.<key>` and shown in the
//! table by its numbers (or by its `rows` array of [`Row`]s when it has one). A section seeds
//! what it needs itself and keeps every load bounded in time; loopback only.

use serde::{Deserialize, Serialize};

/// The command line's arguments after the program's name, exactly one for each `<name>` in
/// `usage` (`"<gateway> <token> <count>"`), or an error that shows the usage.
pub fn args(usage: &str) -> anyhow::Result<Vec<String>> {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_default();
    let args: Vec<String> = args.collect();
    anyhow::ensure!(
        args.len() == usage.matches('<').count(),
        "usage: {program} {usage}"
    );
    Ok(args)
}

/// The non-empty lines of the file at `path` (tracking numbers, one a line).
pub fn lines(path: &str) -> anyhow::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// One figure of the table: its value beside its goal (SPEC §9) and the reference measured in
/// the same run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// The goal, as a reader would write it: `"< 50 ms"`, `"≥ 0.2 × hello"`; empty if none.
    #[serde(default)]
    pub goal: String,
    /// What the figure is compared with, measured in the same run (or a fixed number).
    #[serde(default)]
    pub reference: String,
    /// Whether the goal holds; `None` when the figure has no goal.
    #[serde(default)]
    pub met: Option<bool>,
}

impl Row {
    pub fn new(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            goal: String::new(),
            reference: String::new(),
            met: None,
        }
    }

    /// A goal `value < limit` (latencies, memory).
    pub fn below(mut self, limit: f64) -> Self {
        self.goal = format!("< {limit} {}", self.unit);
        self.met = Some(self.value < limit);
        self
    }

    /// A goal `value ≥ floor` (throughput, ratios).
    pub fn at_least(mut self, floor: f64) -> Self {
        self.goal = format!("≥ {floor} {}", self.unit);
        self.met = Some(self.value >= floor);
        self
    }

    /// A goal stated in words, with whether it holds.
    pub fn goal(mut self, goal: impl Into<String>, met: bool) -> Self {
        self.goal = goal.into();
        self.met = Some(met);
        self
    }

    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = reference.into();
        self
    }

    /// Prints the row as one JSON line on stdout, which `run.sh` collects.
    pub fn print(&self) {
        println!(
            "{}",
            serde_json::to_string(self).expect("a row is always JSON")
        );
    }
}

/// The environment `run.sh` gives every section.
#[derive(Debug, Clone)]
pub struct Env {
    /// `KUAIDI_BENCH_GATEWAY`, e.g. `http://127.0.0.1:8080`.
    pub gateway: String,
    /// `KUAIDI_BENCH_TOKEN`: an admin bearer token.
    pub token: String,
    /// `BENCH_SECONDS`: how long one load lasts.
    pub seconds: u64,
}

impl Env {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} is not set"));
        Ok(Self {
            gateway: var("KUAIDI_BENCH_GATEWAY")?,
            token: var("KUAIDI_BENCH_TOKEN")?,
            seconds: var("BENCH_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(10),
        })
    }

    /// The `kb_*` database of a service: `KUAIDI_BENCH_DB_<SERVICE>`.
    pub fn database_url(service: &str) -> anyhow::Result<String> {
        let k = format!("KUAIDI_BENCH_DB_{}", service.to_uppercase());
        std::env::var(&k).map_err(|_| anyhow::anyhow!("{k} is not set"))
    }
}

/// The `q`-quantile (0..=1) of `sorted` (ascending), nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

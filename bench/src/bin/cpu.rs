//! Where the CPU goes under a load: every process's user + system time over `seconds` (after
//! `delay`), read from `/proc`, grouped — the suite's processes by name, PostgreSQL's backends by
//! database, RabbitMQ, the load tools, the rest — and printed as rows (cores used, share of the
//! machine's busy time). Tells which process bounds a throughput figure.
//!
//! Usage: kuaidi-bench-cpu <label> <seconds> <delay>

use kuaidi_bench::Row;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;
/// Groups below this share of the busy time are summed into "other".
const SHOWN_FROM: f64 = 0.01;

/// The group of a process: its database for a PostgreSQL backend, else its name.
fn group(comm: &str, cmdline: &str) -> String {
    if let Some(rest) = cmdline.strip_prefix("postgres: ") {
        // "postgres: 15/main: <user> <database> <client> <state>", or a background process.
        let words: Vec<&str> = rest.split_whitespace().collect();
        return match words.as_slice() {
            [_, _user, db, client, ..] if client.contains('(') => format!("postgres ({db})"),
            _ => "postgres (background)".into(),
        };
    }
    if comm.starts_with("beam") || comm == "erl_child_setup" {
        return "rabbitmq".into();
    }
    comm.into()
}

/// Ticks used so far by every process, with its group.
fn snapshot() -> HashMap<u32, (String, u64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let (Ok(stat), Ok(cmdline)) = (
            std::fs::read_to_string(format!("/proc/{pid}/stat")),
            std::fs::read(format!("/proc/{pid}/cmdline")),
        ) else {
            continue;
        };
        // "pid (comm) state ppid ..." — comm may hold spaces and parentheses: split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the ')'.
        let used = ticks(11) + ticks(12);
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        out.insert(pid, (group(&stat[open + 1..close], cmdline.trim()), used));
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args = kuaidi_bench::args("<label> <seconds> <delay>")?;
    let label = &args[0];
    let seconds: f64 = args[1].parse()?;
    let delay: f64 = args[2].parse()?;
    std::thread::sleep(Duration::from_secs_f64(delay));
    let before = snapshot();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let after = snapshot();
    let elapsed = started.elapsed().as_secs_f64();
    let mut used: HashMap<String, u64> = HashMap::new();
    for (pid, (group, ticks)) in after {
        // A process started during the interval counts from zero.
        let start = before.get(&pid).map_or(0, |(_, t)| *t);
        *used.entry(group).or_default() += ticks.saturating_sub(start);
    }
    let total: u64 = used.values().sum();
    anyhow::ensure!(total > 0, "no CPU time was used");
    let mut groups: Vec<(String, u64)> = used.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let cores = |t: u64| (t as f64 / TICKS_PER_SECOND / elapsed * 100.0).round() / 100.0;
    let share = |t: u64| t as f64 / total as f64;
    Row::new(
        format!("CPU under {label}: all processes"),
        cores(total),
        "cores",
    )
    .reference(format!("over {elapsed:.1} s"))
    .print();
    let mut other = 0;
    for (group, ticks) in groups {
        if share(ticks) < SHOWN_FROM {
            other += ticks;
            continue;
        }
        Row::new(format!("CPU under {label}: {group}"), cores(ticks), "cores")
            .reference(format!("{:.0} % of it", share(ticks) * 100.0))
            .print();
    }
    Row::new(format!("CPU under {label}: other"), cores(other), "cores")
        .reference(format!("{:.0} % of it", share(other) * 100.0))
        .print();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn backends_are_grouped_by_database_and_the_broker_by_name() {
        let backend = "postgres: 15/main: postgres kb_shipments 127.0.0.1(52114) idle";
        assert_eq!(group("postgres", backend), "postgres (kb_shipments)");
        assert_eq!(
            group("postgres", "postgres: 15/main: walwriter"),
            "postgres (background)"
        );
        assert_eq!(
            group("beam.smp", "/usr/lib/erlang/erts/bin/beam.smp -W w"),
            "rabbitmq"
        );
        assert_eq!(
            group("kuaidi-shipment", "/x/kuaidi-shipments"),
            "kuaidi-shipment"
        );
    }
}

//! The table of `make bench`: reads every section's output (`<dir>/<section>.jsonl`: one
//! [`Row`] per line, or one JSON object of any shape), prints one table — figure, value, goal,
//! reference, whether the goal holds — and writes `bench/results.json` (`sections.<key>`: the
//! rows, or the section's object as it was; an object's numbers become rows named by their path,
//! and its `rows`, when it has them, are taken as they are).
//!
//! Usage: kuaidi-bench-report <rows dir> <results.json> <note>

use kuaidi_bench::Row;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Sections `run.sh` measures itself come first, in this order; added ones follow by name.
const FIRST: &[&str] = &["http", "ingestion", "memory"];

fn main() -> anyhow::Result<()> {
    let args = kuaidi_bench::args("<rows-dir> <results.json> <note>")?;
    let mut keys: Vec<String> = std::fs::read_dir(&args[0])?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".jsonl").map(str::to_owned)
        })
        .collect();
    keys.sort_by_key(|k| {
        (
            FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
            k.clone(),
        )
    });
    let mut sections = Map::new();
    let mut lines = vec![format!(
        "{:<62} {:>12} {:<6} {:<18} {:<34} {}",
        "figure", "value", "unit", "goal", "reference (same run)", "ok"
    )];
    for key in &keys {
        let text = std::fs::read_to_string(Path::new(&args[0]).join(format!("{key}.jsonl")))?;
        let (rows, kept) = parse(&text);
        lines.push(format!("[{key}]"));
        for r in &rows {
            let ok = match r.met {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "",
            };
            lines.push(format!(
                "  {:<60} {:>12} {:<6} {:<18} {:<34} {ok}",
                r.name,
                format_value(r.value),
                r.unit,
                r.goal,
                r.reference
            ));
        }
        sections.insert(key.clone(), kept.unwrap_or(serde_json::to_value(&rows)?));
    }
    let table = lines.join("\n");
    println!("{table}");
    let results = json!({
        "measured_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "note": args[2],
        "sections": Value::Object(sections),
    });
    std::fs::write(&args[1], serde_json::to_string_pretty(&results)? + "\n")?;
    Ok(())
}

/// A section's rows, and the object to keep in its place when it printed one.
fn parse(text: &str) -> (Vec<Row>, Option<Value>) {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let rows: Option<Vec<Row>> = lines.iter().map(|l| serde_json::from_str(l).ok()).collect();
    if let Some(rows) = rows.filter(|r| !r.is_empty()) {
        return (rows, None);
    }
    let Ok(object) = serde_json::from_str::<Value>(text) else {
        return (
            vec![Row::new("unreadable section output", f64::NAN, "")],
            None,
        );
    };
    if let Some(rows) = object
        .get("rows")
        .and_then(|r| serde_json::from_value::<Vec<Row>>(r.clone()).ok())
    {
        return (rows, Some(object));
    }
    let mut rows = Vec::new();
    numbers(&object, String::new(), &mut rows);
    (rows, Some(object))
}

/// Every number in `v`, named by its path; the unit guessed from the key's suffix.
fn numbers(v: &Value, path: String, out: &mut Vec<Row>) {
    match v {
        Value::Number(n) => {
            let unit = [
                ("_ms", "ms"),
                ("_s", "s"),
                ("_seconds", "s"),
                ("_rps", "req/s"),
                ("_per_second", "/s"),
                ("_mb", "MB"),
            ]
            .iter()
            .find(|(suffix, _)| path.ends_with(suffix))
            .map_or("", |(_, unit)| unit);
            out.push(Row::new(path, n.as_f64().unwrap_or(f64::NAN), unit));
        }
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                numbers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                numbers(v, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

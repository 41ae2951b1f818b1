//! `ondo-bench sqlite-anchor`: how fast plain `sqlite3 .import` loads the same rows on
//! this machine, the anchor the import benchmark is compared with.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("ondo-bench-anchor-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sqlite3_available(bin: &str) -> bool {
    Command::new(bin)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `sqlite3 db` with `script` on standard input; returns its standard output.
fn sqlite3(bin: &str, db: &Path, script: &str) -> anyhow::Result<String> {
    let mut child = Command::new(bin)
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {bin}"))?;
    child
        .stdin
        .take()
        .context("no stdin")?
        .write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() || !out.stderr.is_empty() {
        bail!(
            "{bin} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Times `.import` of `csv` (any encoding Ondo reads; converted to UTF-8 first, untimed)
/// `runs` times into a fresh database each time; prints the median.
pub fn run(csv: &Path, runs: usize, bin: &str, json: bool) -> anyhow::Result<()> {
    if !sqlite3_available(bin) {
        bail!(
            "the sqlite3 command-line shell is not installed ({bin} not found); \
             install it with `apt-get install sqlite3` (Debian/Ubuntu)"
        );
    }
    let bytes = std::fs::read(csv).with_context(|| format!("cannot read {}", csv.display()))?;
    let decoded = ondo_ingest::encoding::decode(&bytes, None)?;
    let records = ondo_ingest::csv_reader::read_records(&decoded.text)?;
    let rows = records.len().saturating_sub(1);
    drop(records);
    let tmp = TempDir::new()?;
    let utf8 = tmp.0.join("anchor.csv");
    std::fs::write(&utf8, decoded.text.replace("\r\n", "\n"))?;
    drop(decoded);

    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let db = tmp.0.join("anchor.db");
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let script = format!(".mode csv\n.import '{}' t\n", utf8.display());
        let t = Instant::now();
        sqlite3(bin, &db, &script)?;
        times.push(t.elapsed().as_secs_f64());
        let count: usize = sqlite3(bin, &db, "SELECT count(*) FROM t;\n")?
            .trim()
            .parse()
            .context("unexpected row count from sqlite3")?;
        if count != rows {
            bail!("sqlite3 .import loaded {count} rows, expected {rows}");
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let rate = rows as f64 / median;
    let version = Command::new(bin)
        .arg("-version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let version = version.split_whitespace().next().unwrap_or("").to_string();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "rows": rows,
                "seconds": median,
                "rows_per_s": rate,
                "runs": times.len(),
                "sqlite3": version,
            })
        );
    } else {
        println!(
            "sqlite3 {version} .import of {rows} rows ({}): {:.0} ms, {rate:.0} rows/s \
             (median of {} runs: {})",
            csv.display(),
            median * 1e3,
            times.len(),
            times
                .iter()
                .map(|t| format!("{:.0} ms", t * 1e3))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

//! `ondo-bench ai-train`: how long training the AI score takes (design target: 100k leads
//! in under 10 s on two cores). Synthetic leads with event counts, durations, recency,
//! one-hot categories, missing values and a known nonlinear outcome are generated first
//! (not timed); then both candidate models are cross-validated, the winner calibrated and
//! refitted, exactly as the product trains. Prints one JSON object.

/// Generate `rows` leads with about `features` columns and time training on them.
pub fn run(rows: usize, features: usize, seed: u64) -> anyhow::Result<()> {
    let report = ondo_ml::model_bench::run(rows, features, seed)
        .map_err(|e| anyhow::anyhow!("training failed: {e}"))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

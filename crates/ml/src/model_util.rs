//! Small numeric helpers shared by the models.

/// Threads used for the heavy loops (this machine class has two cores). Work is split
/// into a fixed number of parts, so results do not depend on the machine.
pub const WORKERS: usize = 2;

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)` without overflow.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The mean log-loss of margins against labels.
pub fn log_loss(margins: &[f64], labels: &[bool]) -> f64 {
    if margins.is_empty() {
        return 0.0;
    }
    let total: f64 = margins
        .iter()
        .zip(labels)
        .map(|(&m, &y)| softplus(m) - if y { m } else { 0.0 })
        .sum();
    total / margins.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_and_softplus_are_stable_at_the_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(800.0) <= 1.0 && sigmoid(-800.0) >= 0.0);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(softplus(800.0), 800.0);
        assert!(softplus(-800.0) >= 0.0);
    }
}

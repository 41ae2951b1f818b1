//! The learned "AI" score (features, training, calibration, explanations); filled by the AI-score work.

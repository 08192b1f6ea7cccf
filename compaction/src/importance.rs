//! Importance: one score in `0..=1` per memory, recomputed by the compactor from five signals.
//!
//! ```text
//! score = 1.0                                                  if pinned
//!       = clamp01( Σ wᵢ·sᵢ / Σ wᵢ )                            otherwise
//!
//! s_explicit = clamp01(importance)                      (NaN → 0)
//! s_access   = min(1, ln(1 + access_count) / ln(1 + access_saturation))
//! s_recency  = 2^(−age / recency_half_life),  age = now − max(created, last_access)  (≥ 0)
//! s_kind     = kind_weights[kind]  (else default_kind_weight), clamped to 0..=1
//! s_graph    = min(1, ln(1 + graph_degree) / ln(1 + degree_saturation))
//! ```
//!
//! Defaults ([`ImportanceConfig::default`]): weights explicit 0.40, access 0.15, recency 0.20,
//! kind 0.15, graph 0.10 (they are normalised by their sum, so any non-negative weights work);
//! half-life 7 days; access saturates at 100 reads; degree at 10 edges; kind weights `fact` and
//! `preference` 1.0, `decision` 0.9, `consolidated` and `summary` 0.8, `interaction` and
//! `user_query` 0.4, `assistant_response` 0.3, anything else 0.5.
//!
//! Worked example: an `interaction` stored with the default importance 0.5, never read, no graph
//! links, older than a few half-lives scores `0.4·0.5 + 0.15·0.4 = 0.26` — under the article's
//! 0.3 threshold — while a `fact` with the same inputs scores `0.35`, and ten reads add ≈ 0.078.
//!
//! Every signal is monotone (non-decreasing in explicit importance, access count, last access,
//! graph degree and kind weight; non-increasing in `now`), so the score is too: reading a memory
//! or linking it can only raise it. `updated` is deliberately not a signal: the compactor's own
//! rewrites (demotion, archiving) bump it and would otherwise refresh what they decay.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::error::{Error, Result};
use crate::time::{days, duration_us};

/// Weights and scales of [`importance()`]. See the module documentation for the formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportanceConfig {
    /// Weight of the explicit importance.
    pub explicit_weight: f32,
    /// Weight of the (log-scaled) access count.
    pub access_weight: f32,
    /// Weight of recency.
    pub recency_weight: f32,
    /// Weight of the kind.
    pub kind_weight: f32,
    /// Weight of the (log-scaled) graph degree.
    pub graph_weight: f32,
    /// Age at which the recency signal halves.
    pub recency_half_life: Duration,
    /// Access count at which the access signal reaches 1.
    pub access_saturation: u64,
    /// Graph degree at which the graph signal reaches 1.
    pub degree_saturation: u32,
    /// Per-kind weights in 0..=1.
    pub kind_weights: BTreeMap<String, f32>,
    /// Weight of a kind missing from `kind_weights`.
    pub default_kind_weight: f32,
}

impl Default for ImportanceConfig {
    fn default() -> Self {
        let kinds = [
            ("fact", 1.0),
            ("preference", 1.0),
            ("decision", 0.9),
            ("consolidated", 0.8),
            ("summary", 0.8),
            ("interaction", 0.4),
            ("user_query", 0.4),
            ("assistant_response", 0.3),
        ];
        ImportanceConfig {
            explicit_weight: 0.40,
            access_weight: 0.15,
            recency_weight: 0.20,
            kind_weight: 0.15,
            graph_weight: 0.10,
            recency_half_life: days(7),
            access_saturation: 100,
            degree_saturation: 10,
            kind_weights: kinds.iter().map(|(k, w)| (k.to_string(), *w)).collect(),
            default_kind_weight: 0.5,
        }
    }
}

/// The five signals and the resulting score, for explaining a decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Explicit importance, 0..=1.
    pub explicit: f32,
    /// Access signal, 0..=1.
    pub access: f32,
    /// Recency signal, 0..=1.
    pub recency: f32,
    /// Kind signal, 0..=1.
    pub kind: f32,
    /// Graph signal, 0..=1.
    pub graph: f32,
    /// The combined score (1.0 when pinned).
    pub score: f32,
}

/// The importance of `c` at time `now` (µs), in `0..=1`. Pinned memories score 1.0.
/// Never panics: out-of-range or non-finite configuration values are treated as 0.
pub fn importance(c: &Candidate, now: u64, cfg: &ImportanceConfig) -> f32 {
    breakdown(c, now, cfg).score
}

/// [`importance()`] with its signals.
pub fn breakdown(c: &Candidate, now: u64, cfg: &ImportanceConfig) -> Breakdown {
    let explicit = clamp01(f64::from(c.importance));
    let access = log_ratio(c.access_count, cfg.access_saturation);
    let recency = recency(now.saturating_sub(c.last_touch()), cfg.recency_half_life);
    let kind_w = cfg.kind_weights.get(&c.kind).copied();
    let kind = clamp01(f64::from(kind_w.unwrap_or(cfg.default_kind_weight)));
    let graph = log_ratio(u64::from(c.graph_degree), u64::from(cfg.degree_saturation));
    let signals = [explicit, access, recency, kind, graph];
    let weights = [
        cfg.explicit_weight,
        cfg.access_weight,
        cfg.recency_weight,
        cfg.kind_weight,
        cfg.graph_weight,
    ]
    .map(weight);
    let total: f64 = weights.iter().sum();
    let weighted: f64 = signals.iter().zip(weights).map(|(s, w)| s * w).sum();
    let score = match (c.pinned, total > 0.0) {
        (true, _) => 1.0,
        (false, true) => clamp01(weighted / total),
        (false, false) => explicit,
    };
    Breakdown {
        explicit: explicit as f32,
        access: access as f32,
        recency: recency as f32,
        kind: kind as f32,
        graph: graph as f32,
        score: score as f32,
    }
}

impl ImportanceConfig {
    /// Checks that weights are finite and non-negative (not all zero), kind weights lie in
    /// 0..=1 and the half-life is positive.
    pub fn validate(&self) -> Result<()> {
        let weights = [
            self.explicit_weight,
            self.access_weight,
            self.recency_weight,
            self.kind_weight,
            self.graph_weight,
        ];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f32>() <= 0.0
        {
            return Err(invalid("importance weights", "finite, ≥ 0, not all 0"));
        }
        let kinds = self
            .kind_weights
            .values()
            .chain([&self.default_kind_weight]);
        if kinds.into_iter().any(|w| !(0.0..=1.0).contains(w)) {
            return Err(invalid("kind_weights", "each weight must lie in 0..=1"));
        }
        if self.recency_half_life.is_zero() {
            return Err(invalid("recency_half_life", "must be positive"));
        }
        Ok(())
    }
}

fn invalid(field: &'static str, message: &str) -> Error {
    Error::InvalidConfig {
        field,
        message: message.to_string(),
    }
}

/// `2^(−age/half_life)`; a zero half-life means "only age 0 counts as recent".
fn recency(age_us: u64, half_life: Duration) -> f64 {
    let half = duration_us(half_life);
    if half == 0 {
        return if age_us == 0 { 1.0 } else { 0.0 };
    }
    (-(age_us as f64) / half as f64).exp2()
}

/// `min(1, ln(1+n) / ln(1+saturation))`; saturation 0 means "any n ≥ 1 saturates".
fn log_ratio(n: u64, saturation: u64) -> f64 {
    if saturation == 0 {
        return if n == 0 { 0.0 } else { 1.0 };
    }
    ((n as f64).ln_1p() / (saturation as f64).ln_1p()).min(1.0)
}

fn weight(w: f32) -> f64 {
    if w.is_finite() && w > 0.0 {
        f64::from(w)
    } else {
        0.0
    }
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MICROS_PER_DAY;

    fn mem(kind: &str) -> Candidate {
        Candidate {
            kind: kind.into(),
            importance: 0.5,
            ..Candidate::default()
        }
    }

    #[test]
    fn documented_examples() {
        let cfg = ImportanceConfig::default();
        let now = 365 * MICROS_PER_DAY; // recency ≈ 2^-52: negligible
        assert!((importance(&mem("interaction"), now, &cfg) - 0.26).abs() < 1e-4);
        assert!((importance(&mem("fact"), now, &cfg) - 0.35).abs() < 1e-4);
        let read = Candidate {
            access_count: 10,
            ..mem("interaction")
        };
        assert!((importance(&read, now, &cfg) - 0.26 - 0.078).abs() < 1e-3);
        let fresh = mem("interaction");
        assert!((importance(&fresh, 0, &cfg) - 0.46).abs() < 1e-4);
        let week = breakdown(&fresh, 7 * MICROS_PER_DAY, &cfg);
        assert!((week.recency - 0.5).abs() < 1e-6);
    }

    #[test]
    fn pinned_is_one_and_garbage_is_safe() {
        let cfg = ImportanceConfig::default();
        let c = Candidate {
            pinned: true,
            ..mem("interaction")
        };
        assert_eq!(importance(&c, 0, &cfg), 1.0);
        let nan = Candidate {
            importance: f32::NAN,
            ..mem("x")
        };
        let bad = ImportanceConfig {
            explicit_weight: f32::NAN,
            ..ImportanceConfig::default()
        };
        let s = importance(&nan, 0, &bad);
        assert!((0.0..=1.0).contains(&s));
        assert!(bad.validate().is_err());
        assert!(ImportanceConfig::default().validate().is_ok());
    }
}

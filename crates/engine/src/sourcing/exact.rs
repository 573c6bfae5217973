//! The exact solver: branch and bound over sets of locations. The cost of a plan depends only on the set
//! of locations it ships from (one package each), and each sku's units can be spread over the set freely,
//! so the problem is a weighted multi-cover: find the cheapest set whose stock reaches every sku's target.
//!
//! Search: pick the uncovered sku with the fewest candidate locations left; branch on each of them, cheapest
//! first, excluding it from later siblings (so each set is visited once). Prune when the cost so far plus
//! the dearest of the uncovered skus' cheapest remaining locations cannot beat the incumbent, or when the
//! remaining stock cannot reach a target. The heuristic's plan is the first incumbent.

use super::problem::Problem;

/// Most distinct skus the search handles (the width of its coverage arrays).
pub const EXACT_MAX_SKUS: usize = 16;
/// Most candidate locations the search handles (the width of its set masks).
pub const EXACT_MAX_CANDIDATES: usize = 128;

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exact {
    /// A cheaper set than the incumbent, if one was found (candidate indices, ascending).
    pub better: Option<Vec<usize>>,
    /// The search finished: nothing cheaper than the result exists.
    pub complete: bool,
    pub nodes: u64,
}

struct Search<'p> {
    p: &'p Problem,
    /// Per sku, the candidates holding some of it.
    holders: Vec<u128>,
    /// Package cost plus split penalty, per candidate: a set costs the sum less one penalty.
    weight: Vec<i64>,
    best_weight: i64,
    best: Option<u128>,
    nodes: u64,
    max_nodes: u64,
    aborted: bool,
}

/// Searches for a set cheaper than `incumbent` (a covering set of candidates) within `max_nodes`.
/// Returns `None` when the problem is too wide for the search.
pub(crate) fn search(p: &Problem, incumbent: &[usize], max_nodes: u64) -> Option<Exact> {
    let skus = p.demand.len();
    if skus > EXACT_MAX_SKUS || p.cands.len() > EXACT_MAX_CANDIDATES {
        return None;
    }
    let holders = (0..skus)
        .map(|k| p.cands.iter().enumerate().filter(|(_, c)| c.atp[k] > 0).fold(0u128, |m, (j, _)| m | 1u128 << j))
        .collect();
    let weight = p.cands.iter().map(|c| c.package_cost() + p.penalty).collect();
    let mut s = Search {
        p,
        holders,
        weight,
        best_weight: p.cost_of(incumbent) + p.penalty,
        best: None,
        nodes: 0,
        max_nodes,
        aborted: false,
    };
    let all = if p.cands.len() == 128 { u128::MAX } else { (1u128 << p.cands.len()) - 1 };
    s.visit(0, 0, [0; EXACT_MAX_SKUS], all);
    let better = s.best.map(|mask| (0..p.cands.len()).filter(|&j| mask >> j & 1 == 1).collect());
    Some(Exact { better, complete: !s.aborted, nodes: s.nodes })
}

impl Search<'_> {
    fn visit(&mut self, chosen: u128, weight: i64, covered: [u32; EXACT_MAX_SKUS], allowed: u128) {
        if self.aborted {
            return;
        }
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            self.aborted = true;
            return;
        }
        let mut branch: Option<(usize, u32)> = None;
        let mut bound = 0i64;
        for (k, &target) in self.p.target.iter().enumerate() {
            if covered[k] >= target {
                continue;
            }
            let options = allowed & self.holders[k];
            if options == 0 {
                return;
            }
            let supply: u64 = bits(options).map(|j| u64::from(self.p.cands[j].atp[k])).sum();
            if u64::from(covered[k]) + supply < u64::from(target) {
                return;
            }
            bound = bound.max(self.weight[options.trailing_zeros() as usize]);
            let count = options.count_ones();
            if branch.is_none_or(|(_, fewest)| count < fewest) {
                branch = Some((k, count));
            }
        }
        let Some((k, _)) = branch else {
            if weight < self.best_weight {
                self.best_weight = weight;
                self.best = Some(chosen);
            }
            return;
        };
        if weight + bound >= self.best_weight {
            return;
        }
        let mut allowed = allowed;
        for j in bits(allowed & self.holders[k]) {
            let next = weight + self.weight[j];
            if next >= self.best_weight {
                break;
            }
            allowed &= !(1u128 << j);
            let mut more = covered;
            for (m, (c, t)) in more.iter_mut().zip(&self.p.target).enumerate() {
                *c = c.saturating_add(self.p.cands[j].atp[m]).min(*t);
            }
            self.visit(chosen | 1u128 << j, next, more, allowed);
            if self.aborted {
                return;
            }
        }
    }
}

/// The indices of the set bits, lowest first.
fn bits(mut mask: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let j = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(j)
    })
}
